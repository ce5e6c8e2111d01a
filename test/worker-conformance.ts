/**
 * The worker protocol conformance suite: one set of behaviours of docs/protocol.md, driven from
 * the host, that every worker runtime must pass (worker-conformance.test.ts runs it against the
 * Node worker and the Python worker). Each runtime runs its twin of the same plugin
 * (test/fixtures/plugins/conformance.ts, test/fixtures/python/conformance.py).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { PROTOCOL_VERSION } from '@bulkhead/sdk/protocol';
import { isBulkheadError, type LogEntry, PluginProcess, type PluginProcessOptions, type Progress } from 'bulkhead';
import { eventually, isRunning } from './helpers.js';

export interface Runtime {
  name: string;
  /** Starts the conformance plugin. */
  options: PluginProcessOptions;
  /** Starts a plugin whose module fails while it loads. */
  failsAtImport: PluginProcessOptions;
  /** What the load error's message and stack must show of the failure. */
  importTrace: RegExp;
  skip: string | false;
  /** The compiled fixture host (test/fixtures/host-runs.ts). */
  host: string;
}

const start = (rt: Runtime, extra: Partial<PluginProcessOptions> = {}) =>
  PluginProcess.start({ ...rt.options, ...extra } as PluginProcessOptions);

export function conformanceSuite(rt: Runtime): void {
  describe(`worker conformance: ${rt.name}`, { skip: rt.skip }, () => {
    test('handshake: name, version, schema with defaults, config with defaults, capabilities, pid', async () => {
      await using p = await start(rt);
      assert.equal(p.info.protocolVersion, PROTOCOL_VERSION);
      assert.equal(p.info.name, 'conformance');
      assert.equal(p.info.version, '1.0.0');
      assert.deepEqual(p.info.config, { suffix: '!', repeat: 1, mode: 'fast' });
      const schema = p.info.configSchema as { properties: Record<string, Record<string, unknown>> };
      assert.equal(schema.properties.suffix?.type, 'string');
      assert.equal(schema.properties.suffix?.default, '!');
      assert.equal(schema.properties.suffix?.maxLength, 8);
      assert.equal(schema.properties.repeat?.type, 'integer');
      assert.equal(schema.properties.repeat?.minimum, 1);
      assert.equal(schema.properties.repeat?.maximum, 10);
      assert.deepEqual(schema.properties.mode?.enum, ['fast', 'slow']);
      assert.deepEqual(p.info.capabilities, {
        execute: true,
        stream: true,
        cancel: true,
        progress: true,
        configure: true,
        binary: true,
        handoff: true,
      });
      assert.equal(p.info.pid, p.pid);
      assert.match(p.info.runtime, new RegExp(`^${rt.name} `));
    });

    test('a bad config at start is ERR_CONFIG_INVALID naming every failing field', async () => {
      await assert.rejects(start(rt, { config: { suffix: 3, repeat: 0, mode: 'odd', extra: true } }), (e) => {
        assert.ok(isBulkheadError(e, 'ERR_CONFIG_INVALID'));
        const text = e.data.issues.map((i) => `${i.path}: ${i.message}`).join('\n');
        for (const field of ['suffix', 'repeat', 'mode', 'extra']) assert.match(text, new RegExp(field), text);
        assert.ok(e.data.issues.length >= 4, text);
        return true;
      });
    });

    test('execute: results, config, and many calls in flight answered under their own ids', async () => {
      await using p = await start(rt, { config: { suffix: '?', repeat: 2 } });
      assert.equal(await p.execute({ op: 'upper', text: 'ab' }), 'AB?AB?');
      assert.deepEqual(await p.execute({ op: 'echo', value: { a: [1, 'x', null, true] } }), {
        value: { a: [1, 'x', null, true] },
        config: { suffix: '?', repeat: 2 },
      });
      const many = await Promise.all(Array.from({ length: 50 }, (_, i) => p.execute({ op: 'echo', value: i })));
      assert.deepEqual(
        many.map((m) => (m as { value: number }).value),
        Array.from({ length: 50 }, (_, i) => i),
      );
    });

    test('bytes: an attachment goes in as bytes and comes back as a Uint8Array', async () => {
      await using p = await start(rt);
      const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256);
      const r = (await p.execute({ op: 'reverse-bytes', data })) as { data: Uint8Array; size: number };
      assert.ok(r.data instanceof Uint8Array);
      assert.equal(r.size, data.length);
      assert.deepEqual(Buffer.from(r.data), Buffer.from(data).reverse());
    });

    test('file handoff: binaries over the threshold travel by file both ways; an explicit handoff too', async () => {
      await using p = await start(rt, { handoffBytes: 4096 });
      const data = Uint8Array.from({ length: 1 << 20 }, (_, i) => i % 251);
      const r = (await p.execute({ op: 'reverse-bytes', data })) as { data: Uint8Array; size: number };
      assert.equal(r.size, data.length, 'the worker read the whole file');
      assert.deepEqual(Buffer.from(r.data), Buffer.from(data).reverse());
      const h = (await p.execute({ op: 'handoff', size: 10 })) as { data: Uint8Array };
      assert.deepEqual(Array.from(h.data), Array(10).fill(1));
      // Every handed-over file is removed by its receiver (the host's removal is asynchronous).
      const dir = p.handoffDir as string;
      assert.ok(dir.includes('bulkhead-handoff-'));
      assert.ok(await eventually(() => readdirSync(dir).length === 0), `left over: ${readdirSync(dir).join(', ')}`);
    });

    test('progress is pushed in order, before the answer; a fraction may be unknown', async () => {
      await using p = await start(rt);
      const seen: Progress[] = [];
      assert.equal(await p.execute({ op: 'progress' }, { onProgress: (e) => seen.push(e) }), 'done');
      // A worker may coalesce (the Node worker sends the latest per tick): what arrives is an
      // in-order subsequence, ending with the last report.
      const all = [
        [0.25, 'step 1'],
        [0.5, 'step 2'],
        [0.75, 'step 3'],
        [undefined, 'almost'],
      ];
      const got = seen.map((e) => [e.fraction, e.message]);
      assert.deepEqual(got.at(-1), [undefined, 'almost']);
      let at = 0;
      for (const g of got) {
        while (at < all.length && JSON.stringify(all[at]) !== JSON.stringify(g)) at++;
        assert.ok(at < all.length, `progress out of order: ${JSON.stringify(got)}`);
      }
    });

    test('logs: ctx.log entries carry level, data and the call; printed lines are captured', async () => {
      await using p = await start(rt);
      const entries: LogEntry[] = [];
      p.on('log', (e) => entries.push(e));
      await p.execute({ op: 'log' });
      const entry = entries.find((e) => e.source === 'plugin');
      assert.equal(entry?.level, 'info');
      assert.equal(entry?.message, 'from ctx.log');
      assert.deepEqual(entry?.data, { n: 1 });
      assert.equal(typeof entry?.callId, 'number');
      assert.ok(await eventually(() => p.logs().some((e) => e.source === 'stdout' && e.message === 'from print')));
      assert.ok(p.logs().some((e) => e.source === 'stdout' && e.message === 'conformance plugin starting'));
    });

    test("a plugin's error is ERR_PLUGIN_FAILED with its message, code and stack; the worker goes on", async () => {
      await using p = await start(rt);
      await assert.rejects(p.execute({ op: 'fail' }), (e) => {
        assert.ok(isBulkheadError(e, 'ERR_PLUGIN_FAILED'));
        assert.match(e.message, /it failed as asked/);
        assert.equal(e.data.pluginCode, 'E_ASKED');
        assert.equal(e.data.name, 'PluginError');
        assert.match(String(e.data.stack), /conformance/);
        return true;
      });
      assert.equal(await p.execute({ op: 'upper', text: 'ok' }), 'OK!');
    });

    test('a result that cannot travel is ERR_SERIALIZE; one over the frame limit ERR_FRAME_TOO_LARGE', async () => {
      await using p = await start(rt, { maxFrameBytes: 64 * 1024, handoffBytes: false });
      await assert.rejects(p.execute({ op: 'bad-output' }), (e) => isBulkheadError(e, 'ERR_SERIALIZE'));
      await assert.rejects(p.execute({ op: 'big', size: 100 * 1024 }), (e) =>
        isBulkheadError(e, 'ERR_FRAME_TOO_LARGE'),
      );
      assert.equal(await p.execute({ op: 'upper', text: 'still' }), 'STILL!');
    });

    test('cooperative cancel: the plugin stops, the call ends ERR_CANCELLED (not forced), the worker lives', async () => {
      await using p = await start(rt);
      const ac = new AbortController();
      const call = p.execute({ op: 'wait-cancel' }, { signal: ac.signal, onProgress: () => ac.abort('user stop') });
      await assert.rejects(call, (e) => isBulkheadError(e, 'ERR_CANCELLED') && e.data.forced === false);
      assert.equal(p.alive, true);
      assert.equal(await p.execute({ op: 'upper', text: 'after' }), 'AFTER!');
    });

    test('a plugin that blocks and never checks: pings and stats still answer; cancel is forced', async () => {
      await using p = await start(rt, { cancelGraceMs: 300 });
      const ac = new AbortController();
      let started!: () => void;
      const running = new Promise<void>((r) => {
        started = r;
      });
      const call = p.execute({ op: 'ignore-cancel' }, { signal: ac.signal, onProgress: () => started() });
      await running;
      if (rt.name === 'python') {
        // Python runs hooks off its protocol loop: a blocked plugin does not stop requests.
        assert.ok((await p.ping()) >= 0);
        assert.equal((await p.stats()).pid, p.pid);
      }
      ac.abort('stop now');
      await assert.rejects(call, (e) => isBulkheadError(e, 'ERR_CANCELLED') && e.data.forced === true);
      assert.equal(p.alive, false, 'the worker was killed');
    });

    test('stream: 1000 items within a window of 16 arrive whole and in order; breaking off cancels', async () => {
      await using p = await start(rt, { streamWindow: 16 });
      const s = p.stream({ count: 1000 });
      const got: number[] = [];
      let maxBuffered = 0;
      for await (const item of s) {
        got.push((item as { i: number }).i);
        maxBuffered = Math.max(maxBuffered, s.buffered);
      }
      assert.deepEqual(
        got,
        Array.from({ length: 1000 }, (_, i) => i),
      );
      assert.ok(maxBuffered <= 16, `buffered ${maxBuffered} > window 16`);
      let n = 0;
      for await (const _ of p.stream({ count: 1_000_000 })) if (++n === 3) break;
      assert.equal(await p.execute({ op: 'upper', text: 'after' }), 'AFTER!');
    });

    test('configure applies live; an invalid config is refused naming every field, the old one stays', async () => {
      await using p = await start(rt);
      assert.deepEqual(await p.configure({ suffix: '#' }), { suffix: '#', repeat: 1, mode: 'fast' });
      assert.equal(await p.execute({ op: 'upper', text: 'q' }), 'Q#');
      await assert.rejects(p.configure({ suffix: 1, repeat: 99 }), (e) => {
        assert.ok(isBulkheadError(e, 'ERR_CONFIG_INVALID'));
        assert.deepEqual(e.data.issues.map((i) => i.path).sort(), ['repeat', 'suffix']);
        return true;
      });
      assert.equal(await p.execute({ op: 'upper', text: 'q' }), 'Q#', 'the old config stays');
    });

    test('a crash fails the open call with ERR_WORKER_EXITED carrying the exit code and stderr', async () => {
      const p = await start(rt);
      await assert.rejects(p.execute({ op: 'crash', code: 3 }), (e) => {
        assert.ok(isBulkheadError(e, 'ERR_WORKER_EXITED'));
        assert.equal(e.data.exitCode, 3);
        assert.ok(
          e.data.stderrTail.some((l) => l.includes('about to crash')),
          e.data.stderrTail.join('\n'),
        );
        return true;
      });
      assert.equal(p.alive, false);
    });

    test('stop: a graceful shutdown runs cleanup and exits 0; later calls are ERR_WORKER_EXITED', async () => {
      const p = await start(rt);
      const pid = p.pid as number;
      await p.stop();
      assert.equal(isRunning(pid), false);
      assert.equal(p.exitInfo?.exitCode, 0);
      assert.equal(p.exitInfo?.expected, true);
      assert.ok(
        await eventually(() => p.logs().some((e) => e.message === 'conformance plugin cleaning up')),
        'cleanup ran',
      );
      await assert.rejects(p.execute({ op: 'pid' }), (e) => isBulkheadError(e, 'ERR_WORKER_EXITED'));
    });

    test('a plugin that fails while it loads: the handshake fails ERR_PLUGIN_LOAD with the trace', async () => {
      await assert.rejects(PluginProcess.start(rt.failsAtImport), (e) => {
        assert.ok(isBulkheadError(e, 'ERR_PLUGIN_LOAD'), String(e));
        assert.match(`${e.message}\n${(e.data as { stack?: string }).stack ?? ''}`, rt.importTrace);
        return true;
      });
    });

    test('the host killed: the worker and what the plugin started exit (no orphan)', async () => {
      const host = spawn(
        process.execPath,
        [rt.host, JSON.stringify(rt.options), JSON.stringify({ op: 'spawn-child' })],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const line = await new Promise<string>((resolve, reject) => {
        let buf = '';
        host.stdout.on('data', (d) => {
          buf += d;
          if (buf.includes('\n')) resolve(buf.trim());
        });
        host.once('exit', () => reject(new Error('host exited early')));
      });
      const { worker, answer: child } = JSON.parse(line) as { worker: number; answer: number };
      assert.ok(isRunning(worker) && isRunning(child));
      host.kill('SIGKILL');
      assert.ok(await eventually(() => !isRunning(worker) && !isRunning(child), 10_000, 10), 'orphan survived');
    });
  });
}
