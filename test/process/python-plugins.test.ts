/**
 * A Python plugin (examples/python/demo.py) through the manager and the queue, exactly as a Node
 * one: the manifest says `runtime: python`, and nothing else differs. The interpreter is the
 * machine's own (no venv: the host's SDK is put on its path); python-install.test.ts covers venvs.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  type CommandRunner,
  isBulkheadError,
  JobQueue,
  type LogEntry,
  PluginManager,
  type PluginManagerOptions,
  type Progress,
} from 'bulkhead';
import { eventually, isRunning, repoRoot, sourceFixture, tempDir } from '../helpers.js';
import { tempHome } from '../manager-helpers.js';
import { pythonSkip, realPython } from '../python-helpers.js';

const DEMO = join(repoRoot, 'examples', 'python', 'demo.py');

/** A search path with the demo (and the plugin that fails at import) as `runtime: python` manifests. */
function pythonPlugins(): string {
  const into = tempDir('bulkhead-pyplugins-');
  const write = (name: string, entry: string, extra: object = {}) => {
    mkdirSync(join(into, name));
    const manifest = {
      manifestVersion: 1,
      name,
      version: '1.0.0',
      runtime: 'python',
      python: realPython,
      entry,
      ...extra,
    };
    writeFileSync(join(into, name, 'bulkhead-plugin.json'), JSON.stringify(manifest, null, 2));
  };
  write('py-demo', DEMO, { resources: { memoryMB: 200 } });
  write('never-loaded', sourceFixture('python', 'fails-at-import.py'));
  write('reference-style', join(repoRoot, 'examples', 'python', 'reference_style.py'));
  return into;
}

const manager = (extra: Partial<PluginManagerOptions> = {}) =>
  new PluginManager({
    pluginPaths: [pythonPlugins()],
    home: tempHome(),
    liveness: { pingIntervalMs: 0 },
    worker: { cancelGraceMs: 300 },
    ...extra,
  });

describe('a Python plugin via the manager', { skip: pythonSkip }, () => {
  test('execute with progress and logs (ctx.log and the logging module), stream, bytes, a file handoff', async () => {
    await using m = manager();
    const progress: Progress[] = [];
    assert.equal(
      await m.execute('py-demo', { op: 'shout', text: 'hey' }, { onProgress: (p) => progress.push(p) }),
      'HEY!',
    );
    assert.deepEqual(
      progress.map((p) => p.message),
      ['shouting', 'done'],
    );
    const summary = m.get('py-demo');
    assert.equal(summary?.state, 'ready');
    const chunks: unknown[] = [];
    for await (const c of m.stream('py-demo', { count: 4 })) chunks.push(c);
    assert.deepEqual(
      chunks,
      [0, 1, 2, 3].map((i) => ({ i, square: i * i })),
    );
    const data = Uint8Array.from({ length: 70_000 }, (_, i) => i % 256);
    const r = await m.execute<{ data: Uint8Array; bytes: number }>('py-demo', { op: 'reverse', data });
    assert.equal(r.bytes, data.length);
    assert.deepEqual(Buffer.from(r.data), Buffer.from(data).reverse());
    const blob = await m.execute<Uint8Array>('py-demo', { op: 'blob', size: 1 << 20 });
    assert.ok(blob instanceof Uint8Array);
    assert.equal(blob.length, 1 << 20);
    assert.ok(blob.every((b) => b === 0x2a));
    const logs: LogEntry[] = [];
    for await (const e of m.logs('py-demo', { tail: 100 })) logs.push(e);
    const text = logs.map((e) => e.message);
    assert.ok(text.includes("py-demo ready (suffix '!')"), `logging.info from initialize: ${text.join(' | ')}`);
    assert.ok(text.includes('shouting'), 'ctx.log');
  });

  test('config: applied live; a bad one is ERR_CONFIG_INVALID naming every failing field', async () => {
    await using m = manager();
    await m.execute('py-demo', { op: 'shout', text: 'a' });
    const { applied } = await m.updateConfig('py-demo', { suffix: '?', times: 2 });
    assert.equal(applied, 'hot');
    assert.equal(await m.execute('py-demo', { op: 'shout', text: 'a' }), 'A?A?');
    await assert.rejects(m.updateConfig('py-demo', { suffix: 'toolong', times: 9, style: 'loud', colour: 1 }), (e) => {
      assert.ok(isBulkheadError(e, 'ERR_CONFIG_INVALID'));
      const paths = e.data.issues.map((i) => `${i.path} ${i.message}`).join('\n');
      for (const f of ['suffix', 'times', 'style', 'colour']) assert.match(paths, new RegExp(f), paths);
      return true;
    });
    assert.equal(await m.execute('py-demo', { op: 'shout', text: 'a' }), 'A?A?', 'the old config stays');
  });

  test('cooperative cancel keeps the worker; a plugin that never checks is killed and restarts on next use', async () => {
    await using m = manager();
    const ac = new AbortController();
    const sleep = m.execute(
      'py-demo',
      { op: 'sleep', seconds: 60 },
      { signal: ac.signal, onProgress: () => ac.abort() },
    );
    await assert.rejects(sleep, (e) => isBulkheadError(e, 'ERR_CANCELLED') && e.data.forced === false);
    const pid = m.get('py-demo')?.pid as number;
    assert.ok(isRunning(pid));
    const ac2 = new AbortController();
    const spin = m.execute('py-demo', { op: 'spin' }, { signal: ac2.signal, onProgress: () => ac2.abort() });
    await assert.rejects(spin, (e) => isBulkheadError(e, 'ERR_CANCELLED') && e.data.forced === true);
    assert.ok(await eventually(() => !isRunning(pid)), 'the spinning worker was killed');
    assert.equal(await m.execute('py-demo', { op: 'shout', text: 'back' }), 'BACK!');
    assert.notEqual(m.get('py-demo')?.pid, pid);
  });

  test('a plugin written for the reference design runs through the manager: kwargs, pushed progress, its schema', async () => {
    await using m = manager();
    const progress: Progress[] = [];
    const out = await m.execute(
      'reference-style',
      { text: 'one two', repeat: 1 },
      { onProgress: (p) => progress.push(p) },
    );
    assert.deepEqual(out, { text: 'one two', segments: 2, language: 'en' });
    assert.deepEqual(
      progress.map((p) => p.message),
      ['segment 1/2', 'segment 2/2'],
    );
    const schema = m.getConfigSchema('reference-style') as { properties: Record<string, { maximum?: number }> };
    assert.equal(schema.properties.beam_size?.maximum, 10);
    await assert.rejects(m.updateConfig('reference-style', { beam_size: 11 }), (e) =>
      isBulkheadError(e, 'ERR_CONFIG_INVALID'),
    );
  });

  test('a crash fails the call with the exit code; the next call restarts the worker', async () => {
    await using m = manager();
    await assert.rejects(
      m.execute('py-demo', { op: 'crash', code: 9 }),
      (e) => isBulkheadError(e, 'ERR_WORKER_EXITED') && e.data.exitCode === 9,
    );
    assert.equal(await m.execute('py-demo', { op: 'shout', text: 'again' }), 'AGAIN!');
  });

  test('a plugin that fails at import: its traceback is in the error', async () => {
    await using m = manager();
    await assert.rejects(m.execute('never-loaded', {}), (e) => {
      assert.ok(isBulkheadError(e), String(e));
      assert.match(e.message, /FileNotFoundError: cannot find model weights/);
      assert.match(e.message, /fails-at-import\.py", line \d+, in load_weights/);
      return true;
    });
  });

  test('telemetry by the worker pid (CPU, RSS, GPU memory from nvidia-smi); idle eviction ends the worker', async () => {
    let workerPid = -1;
    const runCommand: CommandRunner = async (_file, args) => {
      const apps = args.some((a) => a.startsWith('--query-compute-apps'));
      const stdout = apps
        ? `${workerPid}, python3, 2048, GPU-2b1f9ae6-0f02-0a4b-2a2c-4d7b2a9c1b3e\n`
        : '0, GPU-2b1f9ae6-0f02-0a4b-2a2c-4d7b2a9c1b3e, NVIDIA H100 80GB HBM3, 81559, 2057, 79018, 0, 33, 121.07\n';
      return { stdout, stderr: '', exitCode: 0 };
    };
    await using m = manager({ runCommand });
    await m.execute('py-demo', { op: 'shout', text: 'x' });
    workerPid = m.get('py-demo')?.pid as number;
    const t = await m.telemetry('py-demo');
    assert.equal(t.pid, workerPid);
    assert.ok(t.pids.includes(workerPid));
    assert.ok(t.rssBytes > 0);
    assert.equal(t.gpuMemoryMB, 2048);
    assert.deepEqual(await m.evictIdle(0), ['py-demo']);
    assert.ok(await eventually(() => !isRunning(workerPid)));
  });
});

describe('a Python plugin via the queue', { skip: pythonSkip }, () => {
  test('jobs complete with progress and bytes; a running job is cancelled', async () => {
    const m = manager();
    const queue = await JobQueue.open({ manager: m, durability: 'process', scheduler: { refreshMs: 50 } });
    await queue.start();
    try {
      const progress: number[] = [];
      queue.on('progress', (p) => progress.push(p.fraction ?? -1));
      const id = await queue.submit('py-demo', { op: 'shout', text: 'queued' });
      assert.equal((await queue.wait(id)).status, 'completed');
      assert.equal(await queue.result(id), 'QUEUED!');
      assert.deepEqual(progress, [0.5, 1]);
      const bin = await queue.submit('py-demo', { op: 'reverse', data: Uint8Array.of(1, 2, 3) });
      await queue.wait(bin);
      const r = (await queue.result(bin)) as { data: Uint8Array };
      assert.deepEqual(Array.from(r.data), [3, 2, 1]);
      let started!: () => void;
      const running = new Promise<void>((r) => {
        started = r;
      });
      queue.on('progress', (p) => {
        if (p.message === 'sleeping') started();
      });
      const long = await queue.submit('py-demo', { op: 'sleep', seconds: 60 });
      await running;
      await queue.cancel(long);
      assert.equal((await queue.wait(long)).status, 'cancelled');
    } finally {
      await queue.stop();
      await m.close();
    }
  });
});
