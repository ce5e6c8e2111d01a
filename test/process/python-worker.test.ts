/**
 * A worker written in Python from docs/protocol.md alone (test/fixtures/python-worker/worker.py),
 * driven by the Node host: proof that the protocol page is enough to interoperate.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { Channel, type Message, PROTOCOL_VERSION, type StatsResult } from '@bulkhead/sdk/protocol';
import { isBulkheadError, type LogEntry, PluginProcess, type Progress } from 'bulkhead';
import { eventually, isRunning, sourceFixture } from '../helpers.js';

const worker = sourceFixture('python-worker', 'worker.py');
const command = ['python3', worker];

const probe = spawnSync('python3', ['-c', 'import sys; print(sys.version_info >= (3, 11))'], { encoding: 'utf8' });
const skip =
  probe.error !== undefined
    ? `python3 is not on PATH (${probe.error.message})`
    : probe.stdout.trim() !== 'True'
      ? `python3 is older than 3.11 (${probe.stdout.trim() || probe.stderr.trim()})`
      : false;
if (skip) console.log(`skipping the Python worker tests: ${skip}`);

interface UpperResult {
  text: string;
  raw?: Uint8Array;
  python: string;
}

describe('Python worker (written from docs/protocol.md)', { skip }, () => {
  test('handshake reports name, version, config schema and the config with defaults applied', async () => {
    await using p = await PluginProcess.start({ command });
    assert.equal(p.info.name, 'py-upper');
    assert.equal(p.info.version, '0.1.0');
    // The fixture speaks 1.0; the host speaks 1.1: the same major interoperates (a 1.0 worker just
    // never gets files handed over).
    assert.equal(p.info.protocolVersion, '1.0');
    assert.equal(PROTOCOL_VERSION.split('.')[0], '1');
    assert.deepEqual(p.info.config, { suffix: '!' });
    const schema = p.info.configSchema as { properties: Record<string, { type?: string; default?: unknown }> };
    assert.equal(schema.properties.suffix?.type, 'string');
    assert.equal(schema.properties.suffix?.default, '!');
    assert.deepEqual(p.info.capabilities, {
      execute: true,
      stream: true,
      cancel: true,
      progress: true,
      configure: true,
      binary: true,
    });
    assert.equal(p.info.pid, p.pid);
    assert.match(p.info.runtime, /^python 3\./);
    assert.equal(p.alive, true);
  });

  test('a config given at start is validated and completed', async () => {
    await using p = await PluginProcess.start({ command, config: { suffix: '?' } });
    assert.deepEqual(p.info.config, { suffix: '?' });
    await assert.rejects(
      PluginProcess.start({ command, config: { suffix: 7 } }),
      (e) => isBulkheadError(e, 'ERR_CONFIG_INVALID') && e.data.issues[0]?.path === 'suffix',
    );
  });

  test('execute: a binary attachment goes in as bytes and comes back reversed', async () => {
    await using p = await PluginProcess.start({ command });
    const raw = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) % 256);
    const r = (await p.execute({ text: 'hello', raw })) as unknown as UpperResult;
    assert.equal(r.text, 'HELLO!');
    assert.match(r.python, /^3\.\d+/);
    assert.ok(r.raw instanceof Uint8Array, 'bytes arrive as a Uint8Array');
    assert.equal(r.raw.length, raw.length);
    assert.deepEqual(Buffer.from(r.raw), Buffer.from(raw).reverse());
    // Several calls in flight at once, each answered under its own id.
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, i) => p.execute({ text: `n${i}`, raw: Uint8Array.of(i, 1, 2) })),
    );
    many.forEach((m, i) => {
      const u = m as unknown as UpperResult;
      assert.equal(u.text, `N${i}!`);
      assert.deepEqual(Array.from(u.raw ?? []), [2, 1, i]);
    });
  });

  test('progress is pushed to onProgress and as events', async () => {
    await using p = await PluginProcess.start({ command });
    const seen: Progress[] = [];
    const events: Progress[] = [];
    p.on('progress', (e) => events.push(e));
    await p.execute({ text: 'x' }, { onProgress: (e) => seen.push(e) });
    assert.deepEqual(
      seen.map((e) => [e.fraction, e.message]),
      [
        [0.5, 'upper-casing'],
        [1, 'done'],
      ],
    );
    assert.equal(events.length, 2);
    assert.equal(typeof events[0]?.callId, 'number');
  });

  test('stdout lines and $/log entries become log entries', async () => {
    await using p = await PluginProcess.start({ command });
    const events: LogEntry[] = [];
    p.on('log', (e) => events.push(e));
    assert.ok(
      await eventually(() =>
        p.logs().some((e) => e.source === 'stdout' && e.message.includes('py-upper worker starting')),
      ),
      'the start-up line printed to stdout is captured',
    );
    await p.execute({ text: 'abc' });
    const entry = events.find((e) => e.source === 'plugin');
    assert.equal(entry?.level, 'info');
    assert.equal(entry?.message, 'upper-casing 3 characters');
    assert.equal(typeof entry?.callId, 'number');
    assert.deepEqual(entry?.data, { length: 3 });
  });

  test('a plugin error is ERR_PLUGIN_FAILED with its message, name, stack and code; the worker stays usable', async () => {
    await using p = await PluginProcess.start({ command });
    await assert.rejects(p.execute({ text: 'boom' }), (e) => {
      assert.ok(isBulkheadError(e, 'ERR_PLUGIN_FAILED'));
      assert.match(e.message, /boom/);
      assert.equal(e.data.name, 'PluginError');
      assert.equal(e.data.pluginCode, 'E_BOOM');
      assert.match(String(e.data.stack), /worker\.py/);
      return true;
    });
    assert.equal(((await p.execute({ text: 'ok' })) as unknown as UpperResult).text, 'OK!');
  });

  test('cancel with an AbortSignal: the plugin stops and the call ends ERR_CANCELLED, not forced', async () => {
    await using p = await PluginProcess.start({ command });
    const ac = new AbortController();
    // Cancelled once the plugin says it is sleeping (its first progress).
    const call = p.execute({ sleep: 30 }, { signal: ac.signal, onProgress: () => ac.abort('user pressed stop') });
    await assert.rejects(call, (e) => isBulkheadError(e, 'ERR_CANCELLED') && e.data.forced === false);
    assert.equal(p.alive, true);
    assert.equal(((await p.execute({ text: 'still here' })) as unknown as UpperResult).text, 'STILL HERE!');
  });

  test('a stream of 1000 items within a window of 16 arrives whole and in order', async () => {
    await using p = await PluginProcess.start({ command, streamWindow: 16 });
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
    // Breaking out early cancels the stream in the worker, which stays usable.
    let n = 0;
    for await (const _ of p.stream({ count: 1_000_000 })) if (++n === 3) break;
    assert.equal(((await p.execute({ text: 'after' })) as unknown as UpperResult).text, 'AFTER!');
  });

  test('configure applies a config live; an invalid one is refused and the old stays', async () => {
    await using p = await PluginProcess.start({ command });
    assert.deepEqual(await p.configure({ suffix: '?!' }), { suffix: '?!' });
    assert.deepEqual(p.info.config, { suffix: '?!' });
    assert.equal(((await p.execute({ text: 'q' })) as unknown as UpperResult).text, 'Q?!');
    await assert.rejects(
      p.configure({ suffix: 3, colour: 'red' }),
      (e) => isBulkheadError(e, 'ERR_CONFIG_INVALID') && e.data.issues.map((i) => i.path).join(',') === 'suffix,colour',
    );
    assert.equal(((await p.execute({ text: 'q' })) as unknown as UpperResult).text, 'Q?!', 'the old config stays');
  });

  test('ping answers; stats report the process', async () => {
    await using p = await PluginProcess.start({ command });
    assert.ok((await p.ping()) >= 0);
    const s = await p.stats();
    assert.equal(s.pid, p.pid);
    assert.ok(s.rssBytes > 0);
  });

  test('stop runs a graceful shutdown: cleanup runs and the worker exits with code 0', async () => {
    const p = await PluginProcess.start({ command });
    const pid = p.pid as number;
    const exits: unknown[] = [];
    p.on('exit', (e) => exits.push(e));
    await p.stop();
    assert.equal(p.alive, false);
    assert.equal(isRunning(pid), false);
    assert.equal(exits.length, 1);
    assert.equal(p.exitInfo?.expected, true);
    assert.equal(p.exitInfo?.exitCode, 0);
    assert.equal(p.exitInfo?.signal, null);
    assert.ok(
      await eventually(() =>
        p.logs().some((e) => e.source === 'stdout' && e.message === 'py-upper worker cleaning up'),
      ),
    );
    await assert.rejects(p.execute({}), (e) => isBulkheadError(e, 'ERR_WORKER_EXITED') && e.data.stopped === true);
  });

  test('a worker reporting another major protocol version is refused with ERR_PROTOCOL_VERSION', async () => {
    await assert.rejects(PluginProcess.start({ command, env: { FAKE_PROTOCOL_VERSION: '2.0' } }), (e) => {
      assert.ok(isBulkheadError(e, 'ERR_PROTOCOL_VERSION'));
      assert.ok(e.message.includes(PROTOCOL_VERSION));
      assert.match(e.message, /2\.0/);
      assert.deepEqual(e.data, { host: PROTOCOL_VERSION, worker: '2.0' });
      return true;
    });
  });
});

/** The worker on a bare channel, for what PluginProcess never sends. */
function rawWorker(env: Record<string, string> = {}) {
  const child: ChildProcess = spawn('python3', [worker], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, BULKHEAD_PROCESS_GROUP: undefined, ...env },
  });
  const socket = child.stdio[3] as unknown as Socket;
  const answers = new Map<number, (m: Message) => void>();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdout?.resume();
  const channel = new Channel(socket, 1 << 20, {
    onMessage: (m) => {
      const id = (m as { id?: number }).id;
      if (id !== undefined && !('method' in m)) answers.get(id)?.(m);
    },
    onProtocolError: () => {},
    onClose: () => {},
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let nextId = 1;
  return {
    child,
    socket,
    exited,
    stderr: () => stderr,
    request(method: string, params: unknown = {}): Promise<Message> {
      const id = nextId++;
      return new Promise((resolve) => {
        answers.set(id, resolve);
        channel.send({ id, method, params });
      });
    },
  };
}

describe('Python worker on a bare channel', { skip }, () => {
  test('requests before initialize are ERR_PROTOCOL; unknown methods ERR_METHOD_NOT_FOUND; stats', async () => {
    const w = rawWorker();
    try {
      const early = (await w.request('ping')) as { error?: { code: string } };
      assert.equal(early.error?.code, 'ERR_PROTOCOL');
      const init = (await w.request('initialize', { protocolVersion: '1.7' })) as { result?: { name: string } };
      assert.equal(init.result?.name, 'py-upper');
      const unknown = (await w.request('frobnicate')) as { error?: { code: string; message: string } };
      assert.equal(unknown.error?.code, 'ERR_METHOD_NOT_FOUND');
      assert.match(unknown.error?.message ?? '', /frobnicate/);
      const stats = (await w.request('stats')) as { result: StatsResult };
      assert.equal(stats.result.pid, w.child.pid);
      for (const k of ['rssBytes', 'heapUsedBytes', 'cpuUserMicros', 'cpuSystemMicros', 'uptimeMs', 'inFlight']) {
        assert.equal(typeof stats.result[k as keyof StatsResult], 'number', k);
      }
      assert.deepEqual(((await w.request('ping')) as { result?: unknown }).result, {});
    } finally {
      w.child.kill('SIGKILL');
      await w.exited;
    }
  });

  test('a host of another major version is answered ERR_PROTOCOL_VERSION naming both', async () => {
    const w = rawWorker();
    try {
      const init = (await w.request('initialize', { protocolVersion: '2.0' })) as {
        error?: { code: string; message: string; data?: unknown };
      };
      assert.equal(init.error?.code, 'ERR_PROTOCOL_VERSION');
      assert.deepEqual(init.error?.data, { host: '2.0', worker: '1.0' });
    } finally {
      w.child.kill('SIGKILL');
      await w.exited;
    }
  });

  test('a frame over BULKHEAD_MAX_FRAME_BYTES is a protocol error: a line on stderr, exit code 70', async () => {
    const w = rawWorker({ BULKHEAD_MAX_FRAME_BYTES: '1024' });
    const header = Buffer.alloc(8);
    header.writeUInt32BE(4096, 0); // longer than the limit: refused before the body is read
    header.writeUInt32BE(2, 4);
    w.socket.write(header);
    const exit = await w.exited;
    assert.equal(exit.code, 70);
    assert.match(w.stderr(), /protocol error/);
  });

  test('end-of-file on fd 3 ends the worker at once', async () => {
    const w = rawWorker();
    await w.request('initialize', { protocolVersion: '1.0' });
    w.socket.end();
    const exit = await w.exited;
    assert.equal(exit.code, 0);
  });
});
