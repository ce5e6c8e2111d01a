import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BulkheadError, isBulkheadError, type LogEntry, PluginProcess, type Progress } from 'bulkhead';
import type binary from '../fixtures/plugins/binary.js';
import type echo from '../fixtures/plugins/echo.js';
import type fail from '../fixtures/plugins/fail.js';
import type slow from '../fixtures/plugins/slow.js';
import { eventually, fixture, isRunning } from '../helpers.js';

describe('PluginProcess', () => {
  test('handshake reports name, version, config schema with defaults, capabilities', async () => {
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo'), config: { prefix: '#' } });
    assert.equal(p.info.name, 'echo');
    assert.equal(p.info.version, '1.2.3');
    assert.equal(p.info.description, 'echoes what it is given');
    assert.deepEqual(p.info.config, { prefix: '#', repeat: 1 });
    const schema = p.info.configSchema as { properties: Record<string, { default?: unknown }> };
    assert.equal(schema.properties.prefix?.default, '>');
    assert.equal(schema.properties.repeat?.default, 1);
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
    assert.equal(p.alive, true);
  });

  test('execute returns the result; several calls run in flight at once', async () => {
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo') });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => p.execute({ x: i })));
    assert.deepEqual(
      results.map((r) => (r.echo as { x: number }).x),
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  test('stream yields every chunk in order with progress', async () => {
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo') });
    const progress: Progress[] = [];
    const got: number[] = [];
    for await (const c of p.stream({ count: 1000 }, { onProgress: (pr) => progress.push(pr) })) got.push(c.i);
    assert.deepEqual(
      got,
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.ok(progress.length > 0, 'progress was pushed');
    assert.ok(progress.every((pr) => typeof pr.fraction === 'number' && pr.fraction > 0 && pr.fraction <= 1));
    // Coalesced per tick, so the last report is the last step.
    assert.equal(progress.at(-1)?.fraction, 1);
  });

  test('a slow consumer holds the stream back: the host buffers at most one window', async () => {
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo'), streamWindow: 8 });
    const s = p.stream({ count: 200, bytes: 64 * 1024 });
    let maxBuffered = 0;
    let n = 0;
    for await (const chunk of s) {
      assert.equal(chunk.data?.[0], n % 256);
      n++;
      await new Promise((r) => setTimeout(r, 1));
      maxBuffered = Math.max(maxBuffered, s.buffered);
    }
    assert.equal(n, 200);
    assert.ok(maxBuffered <= 8, `buffered ${maxBuffered} > window 8`);
  });

  test('breaking out of a stream cancels it in the worker; the worker stays usable', async () => {
    await using p = await PluginProcess.start<typeof slow>({ plugin: fixture('slow') });
    let n = 0;
    for await (const _ of p.stream({ stepMs: 5 })) if (++n === 3) break;
    assert.equal(n, 3);
    assert.equal(await p.execute({ steps: 1, stepMs: 1 }), 'done');
    assert.ok(await eventually(() => p.stats !== undefined && p.alive));
  });

  test('progress is pushed to onProgress and as events', async () => {
    await using p = await PluginProcess.start<typeof slow>({ plugin: fixture('slow') });
    const seen: Progress[] = [];
    const events: Progress[] = [];
    p.on('progress', (e) => events.push(e));
    assert.equal(await p.execute({ steps: 4, stepMs: 2 }, { onProgress: (e) => seen.push(e) }), 'done');
    assert.deepEqual(
      seen.map((e) => [e.fraction, e.message]),
      [
        [0.25, 'step 1'],
        [0.5, 'step 2'],
        [0.75, 'step 3'],
        [1, 'step 4'],
      ],
    );
    assert.equal(events.length, 4);
  });

  test('cancel with an AbortSignal: the plugin sees it and the call ends ERR_CANCELLED, not forced', async () => {
    await using p = await PluginProcess.start<typeof slow>({ plugin: fixture('slow') });
    const ac = new AbortController();
    // Aborted once the plugin is running it (its first progress).
    const call = p.execute(
      { steps: 1000, stepMs: 10 },
      { signal: ac.signal, onProgress: () => ac.abort('user pressed stop') },
    );
    await assert.rejects(call, (e) => isBulkheadError(e, 'ERR_CANCELLED') && e.data.forced === false);
    assert.equal(p.alive, true);
    assert.equal(await p.execute({ steps: 1, stepMs: 1 }), 'done');
  });

  test('an already-aborted signal rejects without sending', async () => {
    await using p = await PluginProcess.start<typeof slow>({ plugin: fixture('slow') });
    await assert.rejects(p.execute({ steps: 1, stepMs: 1 }, { signal: AbortSignal.abort() }), {
      code: 'ERR_CANCELLED',
    });
    assert.equal((await p.stats()).calls, 0);
  });

  test('timeout ends a call with ERR_TIMEOUT', async () => {
    await using p = await PluginProcess.start<typeof slow>({ plugin: fixture('slow') });
    await assert.rejects(
      p.execute({ steps: 1000, stepMs: 10 }, { timeout: 50 }),
      (e) => isBulkheadError(e, 'ERR_TIMEOUT') && e.data.timeoutMs === 50 && !e.data.forced,
    );
    await assert.rejects(p.execute({ steps: 1, stepMs: 1 }, { timeout: -1 }), { code: 'ERR_INVALID_ARGUMENT' });
  });

  test('cancelling a stream through its signal rejects the consumer with ERR_CANCELLED', async () => {
    await using p = await PluginProcess.start<typeof slow>({ plugin: fixture('slow') });
    const ac = new AbortController();
    const got: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const i of p.stream({ stepMs: 2 }, { signal: ac.signal })) {
          got.push(i);
          if (got.length === 5) ac.abort();
        }
      })(),
      { code: 'ERR_CANCELLED' },
    );
    assert.ok(got.length >= 5);
  });

  test('Uint8Array, Buffer and typed arrays travel as binary attachments', async () => {
    await using p = await PluginProcess.start<typeof binary>({ plugin: fixture('binary') });
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);
    const floats = new Float32Array([1.5, -2, 3.25]);
    const r = (await p.execute({ op: 'invert', data, floats })) as unknown as {
      inverted: Buffer;
      doubled: Float32Array;
    };
    assert.ok(Buffer.isBuffer(r.inverted));
    assert.equal(r.inverted.length, 1000);
    assert.equal(r.inverted[0], 255);
    assert.equal(r.inverted[999], 255 - (999 % 256));
    assert.ok(r.doubled instanceof Float32Array);
    assert.deepEqual(Array.from(r.doubled), [3, -4, 6.5]);
    const d = (await p.execute({ op: 'describe', data: Buffer.from('hi'), floats })) as unknown as {
      isUint8: boolean;
      floatsType: string;
    };
    assert.equal(d.isUint8, true);
    assert.equal(d.floatsType, 'Float32Array');
    // 8 MiB round trip, byte for byte
    const big = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) % 256;
    const back = (await p.execute({ op: 'identity', data: big })) as unknown as Uint8Array;
    assert.equal(back.constructor, Uint8Array);
    assert.ok(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(big)));
  });

  test('plugin logs: console lines and ctx.log entries with the call id, bounded', async () => {
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo'), logBufferLines: 5 });
    const events: LogEntry[] = [];
    p.on('log', (e) => events.push(e));
    await p.execute({ log: 'hello from the plugin' });
    const entry = events.find((e) => e.source === 'plugin');
    assert.equal(entry?.message, 'hello from the plugin');
    assert.equal(entry?.level, 'info');
    assert.equal(typeof entry?.callId, 'number');
    assert.deepEqual(entry?.data, { callId: entry?.callId });
    for (let i = 0; i < 20; i++) await p.execute({ log: `line ${i}` });
    const kept = p.logs();
    assert.equal(kept.length, 5);
    assert.equal(kept.at(-1)?.message, 'line 19');
    assert.deepEqual(
      p.logs(2).map((e) => e.message),
      ['line 18', 'line 19'],
    );
  });

  test('configure applies a config live; an invalid config is refused with every field', async () => {
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo') });
    assert.deepEqual(await p.configure({ prefix: '$' }), { prefix: '$', repeat: 1 });
    assert.equal((await p.execute({})).prefix, '$');
    await assert.rejects(
      p.configure({ prefix: 3 as unknown as string, repeat: 0 }),
      (e) =>
        isBulkheadError(e, 'ERR_CONFIG_INVALID') &&
        e.data.issues.map((i) => i.path).join(',') === 'prefix,repeat' &&
        /prefix/.test(e.message),
    );
    assert.equal((await p.execute({})).prefix, '$', 'the old config stays');
  });

  test('an invalid config at start rejects start() with ERR_CONFIG_INVALID', async () => {
    await assert.rejects(
      PluginProcess.start({ plugin: fixture('echo'), config: { repeat: 'many' } }),
      (e) => isBulkheadError(e, 'ERR_CONFIG_INVALID') && e.data.issues[0]?.path === 'repeat',
    );
  });

  test('a config given as a function is worked out once, after the spawn; if it throws, start() fails with that', async () => {
    let calls = 0;
    await using p = await PluginProcess.start<typeof echo>({
      plugin: fixture('echo'),
      config: () => {
        calls++;
        return { prefix: 'f' };
      },
    });
    assert.equal((await p.execute({})).prefix, 'f');
    await p.restart();
    assert.equal((await p.execute({})).prefix, 'f', 'a restart starts from the value, not a new call');
    assert.equal(calls, 1);
    await assert.rejects(
      PluginProcess.start({
        plugin: fixture('echo'),
        config: () => {
          throw new BulkheadError('ERR_INVALID_ARGUMENT', 'no config for you');
        },
      }),
      (e) => isBulkheadError(e, 'ERR_INVALID_ARGUMENT') && e.message === 'no config for you',
    );
  });

  test('configure on a plugin without the hook is ERR_NOT_SUPPORTED', async () => {
    await using p = await PluginProcess.start({ plugin: fixture('noop') });
    await assert.rejects(p.configure({}), { code: 'ERR_NOT_SUPPORTED' });
  });

  test('stats report pid, rss, cpu and counts; ping answers', async () => {
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo') });
    await p.execute({});
    await assert.rejects(p.execute(undefined as never).then(() => p.configure({ repeat: -1 })));
    const s = await p.stats();
    assert.equal(s.pid, p.pid);
    assert.equal(s.alive, true);
    assert.ok(s.rssBytes > 10 * 1024 * 1024 && s.rssBytes < 1024 * 1024 * 1024, `rss ${s.rssBytes}`);
    assert.ok(s.cpuPercent >= 0);
    assert.equal(s.calls, 2);
    assert.equal(s.inFlight, 0);
    assert.ok((await p.ping()) >= 0);
  });

  test('plugin throws: ERR_PLUGIN_FAILED with its message, stack and code; the worker stays usable', async () => {
    await using p = await PluginProcess.start<typeof fail>({ plugin: fixture('fail') });
    await assert.rejects(p.execute({ message: 'model exploded' }), (e) => {
      assert.ok(isBulkheadError(e, 'ERR_PLUGIN_FAILED'));
      assert.equal(e.message, 'model exploded');
      assert.equal(e.data.pluginCode, 'E_MODEL');
      assert.match(String(e.data.stack), /fail\.js/);
      assert.match(String(e.stack), /model exploded/);
      return true;
    });
    assert.equal(await p.execute({ message: 'ok' }), 'fine');
    const got: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const c of p.stream(undefined)) got.push(c as number);
      })(),
      { code: 'ERR_PLUGIN_FAILED', message: 'stream broke' },
    );
    assert.deepEqual(got, [1, 2]);
    assert.equal(p.alive, true);
  });

  test('stop runs a graceful shutdown, is idempotent, and later calls fail clearly', async () => {
    const p = await PluginProcess.start({ plugin: fixture('echo') });
    const pid = p.pid as number;
    const exits: unknown[] = [];
    p.on('exit', (e) => exits.push(e));
    await Promise.all([p.stop(), p.stop()]);
    await p.stop();
    assert.equal(p.alive, false);
    assert.equal(isRunning(pid), false);
    assert.equal(exits.length, 1);
    assert.equal(p.exitInfo?.expected, true);
    assert.equal(p.exitInfo?.exitCode, 0);
    await assert.rejects(p.execute({}), (e) => isBulkheadError(e, 'ERR_WORKER_EXITED') && e.data.stopped === true);
  });

  test('restart gives a fresh worker with the same options', async () => {
    await using p = await PluginProcess.start({ plugin: fixture('echo'), config: { prefix: 'r' } });
    const first = p.pid;
    await p.restart();
    assert.notEqual(p.pid, first);
    assert.equal(p.alive, true);
    assert.equal(((await p.execute({})) as { prefix: string }).prefix, 'r');
  });
});
