// Edge cases found in review: each failed (hung, corrupted data, or took the worker down) before.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError, PluginProcess } from 'bulkhead';
import type echo from '../fixtures/plugins/echo.js';
import type slow from '../fixtures/plugins/slow.js';
import type tricky from '../fixtures/plugins/tricky.js';
import { eventually, fixture, isRunning, repoRoot } from '../helpers.js';

describe('edge cases', () => {
  test('a stream item that cannot be serialized fails that stream only', async () => {
    await using p = await PluginProcess.start<typeof tricky>({ plugin: fixture('tricky') });
    const got: unknown[] = [];
    const bystander = p.execute({ mode: 'echo', data: 'still here' });
    await assert.rejects(
      (async () => {
        for await (const item of p.stream({ mode: 'bad-item' })) got.push(item);
      })(),
      (e) => isBulkheadError(e, 'ERR_SERIALIZE') && /params\.items\[1\]\.callback/.test(e.message),
    );
    assert.deepEqual(got, [1]);
    assert.equal(await bystander, 'still here');
    assert.equal(p.alive, true);
  });

  test('stream batches respect the frame limit: many items that each fit all arrive', async () => {
    await using p = await PluginProcess.start<typeof tricky>({ plugin: fixture('tricky'), maxFrameBytes: 1 << 20 });
    let n = 0;
    for await (const item of p.stream({ mode: 'big-items', count: 40, bytes: 300 * 1024 })) {
      assert.equal((item as Uint8Array).length, 300 * 1024);
      assert.equal((item as Uint8Array)[0], n % 256);
      n++;
    }
    assert.equal(n, 40);
    await assert.rejects(
      (async () => {
        for await (const _ of p.stream({ mode: 'big-items', count: 1, bytes: 2 << 20 })) {
        }
      })(),
      { code: 'ERR_FRAME_TOO_LARGE' },
    );
  });

  test('a generator that refills one buffer yields distinct chunks', async () => {
    await using p = await PluginProcess.start<typeof tricky>({ plugin: fixture('tricky') });
    for (const bytes of [4, 200 * 1024]) {
      const seen: string[] = [];
      for await (const item of p.stream({ mode: 'refill', count: 4, bytes })) {
        seen.push(Buffer.from(item as Uint8Array).toString('latin1', 0, 4));
      }
      assert.deepEqual(seen, ['0000', '1111', '2222', '3333'], `${bytes}-byte chunks`);
    }
  });

  test('a small input buffer changed right after execute() is sent as it was', async () => {
    await using p = await PluginProcess.start<typeof tricky>({ plugin: fixture('tricky') });
    const scratch = new Uint8Array([1, 2, 3]);
    const call = p.execute({ mode: 'echo', data: scratch });
    scratch.fill(9);
    assert.deepEqual(Array.from((await call) as Uint8Array), [1, 2, 3]);
  });

  test('subclassed typed arrays travel as their built-in type; toJSON results are checked too', async () => {
    await using p = await PluginProcess.start<typeof tricky>({ plugin: fixture('tricky') });
    class Bytes extends Uint8Array {}
    const back = (await p.execute({ mode: 'echo', data: new Bytes([5, 6]) })) as Uint8Array;
    assert.equal(back.constructor, Uint8Array);
    assert.deepEqual(Array.from(back), [5, 6]);
    const point = { toJSON: () => ({ raw: new Uint8Array([1, 2]) }) };
    const fromToJSON = (await p.execute({ mode: 'echo', data: point })) as { raw: Uint8Array };
    assert.deepEqual(Array.from(fromToJSON.raw), [1, 2]);
    const sneaky = { toJSON: () => ({ tag: { $bin: 0 } }) };
    await assert.rejects(
      p.execute({ mode: 'echo', data: { sneaky, img: new Uint8Array(3) } }),
      (e) => isBulkheadError(e, 'ERR_SERIALIZE') && /reserved/.test(e.message),
    );
  });

  test('an error too large for a frame still reaches the caller, cut short; the worker goes on', async () => {
    await using p = await PluginProcess.start<typeof tricky>({ plugin: fixture('tricky'), maxFrameBytes: 64 * 1024 });
    await assert.rejects(p.execute({ mode: 'big-error', bytes: 200 * 1024 }), (e) => {
      assert.ok(isBulkheadError(e, 'ERR_PLUGIN_FAILED'));
      assert.ok(e.message.length < 64 * 1024 && e.message.endsWith('…[truncated]'));
      return true;
    });
    assert.equal(await p.execute({ mode: 'echo', data: 1 }), 1);
  });

  test('ctx.log with huge messages and data is bounded in the host and never throws into the plugin', async () => {
    await using p = await PluginProcess.start<typeof tricky>({ plugin: fixture('tricky'), maxLogLineLength: 1000 });
    assert.equal(await p.execute({ mode: 'big-log', bytes: 2 << 20 }), 'logged');
    const entry = p.logs().find((l) => l.source === 'plugin');
    assert.ok(entry && entry.message.length <= 1000 + 20);
    assert.match(String(entry.data), /omitted/);
  });

  test('overlapping next() calls on one stream all settle', async () => {
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo') });
    const s = p.stream({ count: 3 });
    const results = await Promise.all([s.next(), s.next(), s.next(), s.next()]);
    assert.deepEqual(
      results.map((r) => (r.done ? 'done' : (r.value as { i: number }).i)),
      [0, 1, 2, 'done'],
    );
  });

  test('listeners that throw do not break calls or stop()', async () => {
    const p = await PluginProcess.start<typeof slow>({ plugin: fixture('slow') });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    p.on('progress', () => {
      throw new Error('listener bug');
    });
    p.on('log', () => {
      throw new Error('listener bug');
    });
    assert.equal(
      await p.execute(
        { steps: 2, stepMs: 1 },
        {
          onProgress: () => {
            throw new Error('callback bug');
          },
        },
      ),
      'done',
    );
    await p.stop();
    process.off('warning', onWarning);
    assert.ok(warnings.includes('BulkheadListenerWarning'));
  });

  test('concurrent restarts run one after the other and leave exactly one worker', async () => {
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo') });
    const first = p.pid as number;
    const pids: number[] = [];
    await Promise.all([
      p.restart().then(() => pids.push(p.pid as number)),
      p.restart().then(() => pids.push(p.pid as number)),
    ]);
    assert.equal(p.alive, true);
    assert.ok(!isRunning(first));
    assert.ok(await eventually(() => pids.filter(isRunning).length === 1 && isRunning(p.pid as number)));
    assert.deepEqual((await p.execute({})).prefix, '>');
  });

  test('restart keeps the config applied with configure()', async () => {
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo') });
    await p.configure({ prefix: '#' });
    await p.restart();
    assert.equal((await p.execute({})).prefix, '#');
  });

  test('calls made while stop() runs fail at once with ERR_WORKER_EXITED and full data', async () => {
    const p = await PluginProcess.start<typeof slow>({ plugin: fixture('slow') });
    // Checked from the start: it may fail before the call below does (the worker refuses it as it
    // shuts down) or after (when the worker is gone), and either way must not be left unhandled.
    const running = assert.rejects(
      p.execute({ steps: 100, stepMs: 20 }),
      (e) => isBulkheadError(e, 'ERR_WORKER_EXITED') && e.data.stopped === true,
    );
    const stopping = p.stop();
    await assert.rejects(
      p.execute({ steps: 1, stepMs: 1 }),
      (e) => isBulkheadError(e, 'ERR_WORKER_EXITED') && e.data.stopped === true,
    );
    await running;
    await stopping;
  });

  test('bad option values are refused up front', async () => {
    for (const bad of [
      { streamWindow: 0 },
      { handshakeTimeoutMs: 2 ** 31 },
      { cancelGraceMs: -1 },
      { maxFrameBytes: 1.5 },
    ]) {
      await assert.rejects(PluginProcess.start({ plugin: fixture('noop'), ...bad }), { code: 'ERR_INVALID_ARGUMENT' });
    }
    await assert.rejects(
      PluginProcess.start({ plugin: fixture('noop'), cwd: '/no/such/dir' }),
      (e) => isBulkheadError(e, 'ERR_INVALID_ARGUMENT') && /does not exist/.test(e.message),
    );
    await using p = await PluginProcess.start({ plugin: fixture('noop') });
    await assert.rejects(p.execute(1, { timeout: 2 ** 31 }), { code: 'ERR_INVALID_ARGUMENT' });
  });

  test('a worker that closes its channel but keeps running is killed; its calls fail', async () => {
    await using p = await PluginProcess.start({
      command: [process.execPath, join(repoRoot, 'build', 'test', 'fixtures', 'closes-channel-worker.js')],
    });
    const pid = p.pid as number;
    await assert.rejects(
      p.execute({}),
      (e) => isBulkheadError(e, 'ERR_WORKER_EXITED') && e.data.reason === 'channel-closed',
    );
    assert.ok(await eventually(() => !isRunning(pid)));
  });
});
