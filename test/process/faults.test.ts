import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isBulkheadError, PluginProcess } from 'bulkhead';
import type badOutput from '../fixtures/plugins/bad-output.js';
import type crash from '../fixtures/plugins/crash.js';
import type flood from '../fixtures/plugins/flood.js';
import type garbage from '../fixtures/plugins/garbage.js';
import type ignoresAbort from '../fixtures/plugins/ignores-abort.js';
import { eventually, fixture, isRunning } from '../helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('faults', () => {
  for (const how of ['exit', 'sigkill'] as const) {
    test(`worker dies mid-call (${how}): every pending call rejects fast with ERR_WORKER_EXITED and stderr`, async () => {
      await using p = await PluginProcess.start<typeof crash>({ plugin: fixture('crash') });
      const others = [p.execute({ how: 'none' }).then(() => new Promise(() => {})), p.execute({ how, delayMs: 20 })];
      // A third call that is still running when the worker dies.
      // Their own exits are an hour away: only the first call's crash can end them.
      const pending = Array.from({ length: 5 }, () => p.execute({ how: 'exit', delayMs: 3_600_000 }));
      const results = await Promise.allSettled([others[1], ...pending]);
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        const e = (r as PromiseRejectedResult).reason;
        assert.ok(isBulkheadError(e, 'ERR_WORKER_EXITED'), String(e));
        if (how === 'exit') assert.equal(e.data.exitCode, 7);
        else assert.equal(e.data.signal, 'SIGKILL');
        assert.ok(e.data.stderrTail.includes('about to crash: out of cheese'), JSON.stringify(e.data.stderrTail));
      }
      assert.equal(p.alive, false);
      assert.equal(p.exitInfo?.expected, false);
      await assert.rejects(p.execute({ how: 'none' }), { code: 'ERR_WORKER_EXITED' });
    });
  }

  // How fast is the benchmark's business (crash_detect_ms); here only what the caller learns.
  test('worker SIGKILLed from outside: pending calls reject with the signal', async () => {
    await using p = await PluginProcess.start<typeof ignoresAbort>({ plugin: fixture('ignores-abort') });
    const call = p.execute({});
    process.kill(p.pid as number, 'SIGKILL');
    await assert.rejects(call, (e) => isBulkheadError(e, 'ERR_WORKER_EXITED') && e.data.signal === 'SIGKILL');
  });

  test('plugin module missing: ERR_PLUGIN_MODULE_NOT_FOUND naming the path, nothing spawned', async () => {
    await assert.rejects(
      PluginProcess.start({ plugin: join(here, '..', 'fixtures', 'plugins', 'nope.js') }),
      (e) => isBulkheadError(e, 'ERR_PLUGIN_MODULE_NOT_FOUND') && /nope\.js/.test(e.message),
    );
  });

  test('plugin throws on import: ERR_PLUGIN_LOAD with its message', async () => {
    await assert.rejects(
      PluginProcess.start({ plugin: fixture('throw-on-load') }),
      (e) => isBulkheadError(e, 'ERR_PLUGIN_LOAD') && /cannot find model weights/.test(e.message),
    );
  });

  test('module exports no plugin: ERR_PLUGIN_INVALID saying what to export', async () => {
    await assert.rejects(
      PluginProcess.start({ plugin: fixture('no-export') }),
      (e) => isBulkheadError(e, 'ERR_PLUGIN_INVALID') && /export default definePlugin/.test(e.message),
    );
  });

  test('initialize throws: start() rejects with the plugin error and the worker is gone', async () => {
    await assert.rejects(
      PluginProcess.start({ plugin: fixture('init-fails') }),
      (e) => isBulkheadError(e, 'ERR_PLUGIN_FAILED') && /GPU out of memory/.test(e.message),
    );
  });

  test('handshake never answered: ERR_HANDSHAKE_TIMEOUT and the worker is killed', async () => {
    await assert.rejects(
      PluginProcess.start({ plugin: fixture('hang-on-load'), handshakeTimeoutMs: 300 }),
      (e) => isBulkheadError(e, 'ERR_HANDSHAKE_TIMEOUT') && e.data.timeoutMs === 300,
    );
  });

  test('start cancelled by its signal while the worker loads: ERR_CANCELLED, the worker killed', async () => {
    const controller = new AbortController();
    const pids = new Set(readdirSync('/proc').filter((d) => /^\d+$/.test(d)));
    const starting = PluginProcess.start({ plugin: fixture('hang-on-load'), signal: controller.signal });
    // Every process started since that is a worker of this fixture file (another suite on the
    // machine runs its own copy).
    const left = () =>
      readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d) && !pids.has(d))
        .filter((d) => isRunning(Number(d)) && cmdline(d).includes(fixture('hang-on-load')));
    // Cancelled once its worker runs (it never answers the handshake, so the start is still under way).
    assert.ok(await eventually(() => left().length > 0), 'the worker was spawned');
    controller.abort();
    await assert.rejects(starting, (e) => isBulkheadError(e, 'ERR_CANCELLED'));
    // No worker of it is left once its kill lands.
    assert.ok(await eventually(() => left().length === 0), `left running: ${left().join(', ')}`);
    await assert.rejects(PluginProcess.start({ plugin: fixture('noop'), signal: AbortSignal.abort() }), {
      code: 'ERR_CANCELLED',
    });
  });

  test('a worker executable that does not exist: ERR_SPAWN', async () => {
    await assert.rejects(PluginProcess.start({ plugin: fixture('noop'), nodePath: '/nonexistent/node' }), {
      code: 'ERR_SPAWN',
    });
  });

  for (const kind of ['text', 'oversized', 'bad-json'] as const) {
    test(`worker writes garbage on the channel (${kind}): ERR_PROTOCOL, worker killed, calls fail`, async () => {
      await using p = await PluginProcess.start<typeof garbage>({ plugin: fixture('garbage'), maxFrameBytes: 1 << 20 });
      const pid = p.pid as number;
      const bystander = p.execute({ kind: 'none' as never });
      await assert.rejects(p.execute({ kind }), (e) => isBulkheadError(e, 'ERR_PROTOCOL'));
      await assert.rejects(bystander, { code: 'ERR_PROTOCOL' });
      assert.equal(p.alive, false);
      assert.ok(await eventually(() => !isRunning(pid)));
    });
  }

  test('oversized result: the worker refuses to send it (ERR_FRAME_TOO_LARGE) and stays usable', async () => {
    await using p = await PluginProcess.start<typeof badOutput>({
      plugin: fixture('bad-output'),
      maxFrameBytes: 1 << 20,
    });
    await assert.rejects(
      p.execute({ kind: 'big', bytes: 2 << 20 }),
      (e) => isBulkheadError(e, 'ERR_FRAME_TOO_LARGE') && e.data.maxFrameBytes === 1 << 20,
    );
    assert.ok(((await p.execute({ kind: 'big', bytes: 10 })) as Uint8Array).length === 10);
  });

  test('oversized input: refused before sending (ERR_FRAME_TOO_LARGE)', async () => {
    await using p = await PluginProcess.start({ plugin: fixture('noop'), maxFrameBytes: 1 << 20 });
    await assert.rejects(p.execute(new Uint8Array(2 << 20)), { code: 'ERR_FRAME_TOO_LARGE' });
    assert.deepEqual(await p.execute({ ok: true }), { ok: true });
  });

  test('input that cannot be serialized is rejected before sending, naming where', async () => {
    await using p = await PluginProcess.start({ plugin: fixture('noop') });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cases: [unknown, RegExp][] = [
      [{ f: () => 1 }, /params\.input\.f: functions/],
      [{ list: [1, Symbol('s')] }, /params\.input\.list\[1\]: symbols/],
      [{ n: 10n }, /BigInt/],
      [{ m: new Map() }, /Map is not JSON/],
      [{ s: new Set([1]) }, /Set is not JSON/],
      [cyclic, /cyclic/],
      [{ $bin: 0 }, /reserved/],
      [{ p: Promise.resolve(1) }, /Promise/],
    ];
    for (const [input, pattern] of cases) {
      await assert.rejects(p.execute(input), (e) => isBulkheadError(e, 'ERR_SERIALIZE') && pattern.test(e.message));
    }
    assert.equal((await p.stats()).calls, 0, 'nothing reached the worker');
    assert.deepEqual(await p.execute({ fine: [1, 'two', null, { d: new Date(0) }] }), {
      fine: [1, 'two', null, { d: '1970-01-01T00:00:00.000Z' }],
    });
  });

  test('a result that cannot be serialized fails the call with ERR_SERIALIZE; the worker stays usable', async () => {
    await using p = await PluginProcess.start<typeof badOutput>({ plugin: fixture('bad-output') });
    await assert.rejects(
      p.execute({ kind: 'function' }),
      (e) => isBulkheadError(e, 'ERR_SERIALIZE') && /result\.callback/.test(e.message),
    );
    assert.equal(p.alive, true);
  });

  test('cancel of a plugin that ignores its signal: ERR_CANCELLED (forced) after the grace period; the worker is killed, restart() is explicit', async () => {
    await using p = await PluginProcess.start<typeof ignoresAbort>({
      plugin: fixture('ignores-abort'),
      cancelGraceMs: 200,
    });
    const firstPid = p.pid as number;
    const bystander = p.execute({});
    const ac = new AbortController();
    const call = p.execute({}, { signal: ac.signal });
    const t0 = performance.now();
    ac.abort();
    await assert.rejects(call, (e) => isBulkheadError(e, 'ERR_CANCELLED') && e.data.forced === true);
    // Not before the grace period (a lower bound, which load cannot break).
    const ms = performance.now() - t0;
    assert.ok(ms >= 190, `ended after ${ms} ms`);
    await assert.rejects(
      bystander,
      (e) => isBulkheadError(e, 'ERR_WORKER_EXITED') && e.data.reason === 'cancel-timeout',
    );
    assert.ok(await eventually(() => !isRunning(firstPid)));
    // Policy: no silent respawn; the next call fails until the owner restarts the worker.
    await assert.rejects(p.execute({}, { timeout: 1000 }), { code: 'ERR_WORKER_EXITED' });
    await p.restart();
    assert.notEqual(p.pid, firstPid);
    await assert.rejects(
      p.execute({}, { timeout: 100 }),
      (e) => isBulkheadError(e, 'ERR_TIMEOUT') && e.data.forced === true,
    );
  });

  test('a plugin that blocks its event loop is still cancelled (forced) and stats still answer', async () => {
    await using p = await PluginProcess.start<typeof ignoresAbort>({
      plugin: fixture('ignores-abort'),
      cancelGraceMs: 300,
    });
    const call = p.execute({ busy: true }, { timeout: 100 });
    const s = await p.stats(); // sent after the call, on the same channel: the call is in flight
    assert.ok(s.inFlight === 1 && s.rssBytes > 0);
    await assert.rejects(call, (e) => isBulkheadError(e, 'ERR_TIMEOUT') && e.data.forced === true);
  });

  test('a plugin flooding stdout does not block calls or grow host memory without bound', async () => {
    await using p = await PluginProcess.start<typeof flood>({
      plugin: fixture('flood'),
      logBufferLines: 100,
      maxLogLineLength: 2048,
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const rounds = await Promise.all([p.execute({ megabytes: 32, longLine: true }), p.execute({ megabytes: 32 })]);
    assert.deepEqual(rounds, ['flooded', 'flooded']);
    // stdout is a pipe of its own: its last lines may still be on their way when the results come.
    assert.ok(await eventually(() => p.logs().length === 100), `${p.logs().length} lines kept`);
    const logs = p.logs();
    assert.ok(logs.every((l) => l.message.length <= 2048 + 32));
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 48 * 1024 * 1024, `heap grew ${grown} bytes for 64 MB of logs`);
  });

  test('a plugin that starts children: stop, kill or crash of the worker leaves no grandchild', async () => {
    // stop()
    const a = await PluginProcess.start({ plugin: fixture('spawns-child') });
    const childA = (await a.execute(undefined)) as number;
    assert.ok(isRunning(childA));
    await a.stop();
    assert.ok(await eventually(() => !isRunning(childA)), 'grandchild survived stop()');
    // worker SIGKILLed from outside
    const b = await PluginProcess.start({ plugin: fixture('spawns-child') });
    const childB = (await b.execute(undefined)) as number;
    process.kill(b.pid as number, 'SIGKILL');
    assert.ok(await eventually(() => !isRunning(childB)), 'grandchild survived its worker being killed');
    await b.stop();
  });

  test('host killed with SIGKILL: the worker and its children exit', async () => {
    const host = spawn(process.execPath, [join(here, '..', 'fixtures', 'host-then-wait.js'), fixture('spawns-child')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      host.stdout.on('data', (d) => {
        buf += d;
        if (buf.includes('\n')) resolve(buf.trim());
      });
      host.once('exit', () => reject(new Error('host exited early')));
    });
    const { worker, child } = JSON.parse(line) as { worker: number; child: number };
    assert.ok(isRunning(worker) && isRunning(child));
    host.kill('SIGKILL');
    assert.ok(await eventually(() => !isRunning(worker) && !isRunning(child)), 'orphan survived');
  });
});

/** A process's command line, or '' once it is gone. */
function cmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
