/**
 * A busy worker that hangs (SIGSTOPped, or deadlocked: silent and using no CPU) for the liveness
 * window is killed and its job retried or failed with ERR_WORKER_UNRESPONSIVE; a worker that
 * computes (holding its event loop, or the GIL) for longer than that window is left alone.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type Job, JobQueue, PluginManager } from 'bulkhead';
import { sourceFixture, tempDir } from '../helpers.js';
import { pluginDir, tempHome } from '../manager-helpers.js';
import { pythonSkip, realPython } from '../python-helpers.js';

/** Liveness for tests: checks every 50 ms, a ping unanswered in 100 ms is silence, hung after 600 ms. */
const LIVENESS = { pingIntervalMs: 50, pingTimeoutMs: 100, hangTimeoutMs: 600 };

function pythonSpin(): string {
  const into = tempDir('bulkhead-pyspin-');
  mkdirSync(join(into, 'py-spin'));
  writeFileSync(
    join(into, 'py-spin', 'bulkhead-plugin.json'),
    JSON.stringify({
      manifestVersion: 1,
      name: 'py-spin',
      version: '1.0.0',
      runtime: 'python',
      python: realPython,
      entry: sourceFixture('python', 'spin.py'),
    }),
  );
  return into;
}

async function setup(pluginPaths: string[]) {
  const manager = new PluginManager({ pluginPaths, home: tempHome(), liveness: LIVENESS });
  const queue = await JobQueue.open({ manager, durability: 'process', retryBackoff: { initialMs: 0 } });
  await queue.start();
  return { manager, queue };
}

const nodePlugins = () =>
  pluginDir([
    { name: 'deadlock', fixture: 'deadlock' },
    { name: 'spin', fixture: 'spin' },
    { name: 'slow', fixture: 'slow' },
  ]);

/** The worker pid of the job's plugin once the job runs. */
async function runningPid(queue: JobQueue, manager: PluginManager, id: string, plugin: string): Promise<number> {
  await new Promise<void>((resolve) => {
    const on = (e: { id: string }) => {
      if (e.id === id) {
        queue.off('started', on);
        resolve();
      }
    };
    queue.on('started', on);
  });
  for (;;) {
    const pid = manager.get(plugin)?.pid;
    if (pid) return pid;
    await new Promise((r) => setImmediate(r));
  }
}

describe('hung busy workers', () => {
  test('a deadlocked worker (silent, no CPU) is killed: its job fails ERR_WORKER_UNRESPONSIVE', async () => {
    const { manager, queue } = await setup([nodePlugins()]);
    await using _m = manager;
    await using _q = queue;
    const id = await queue.submit('deadlock', {});
    const job = (await queue.wait(id)) as Job;
    assert.equal(job.status, 'failed');
    assert.equal(job.error?.code, 'ERR_WORKER_UNRESPONSIVE');
    assert.match(job.error?.message ?? '', /neither answering nor using CPU/);
    assert.equal((job.error?.data as { stopped?: boolean } | undefined)?.stopped, false);
    // The plugin is usable again: a fresh worker answers.
    assert.equal(await manager.execute('deadlock', { ok: true }), 'fine');
  });

  test('a SIGSTOPped worker is killed and its job retried on a fresh one', async () => {
    const { manager, queue } = await setup([nodePlugins()]);
    await using _m = manager;
    await using _q = queue;
    const id = await queue.submit('slow', { steps: 4, stepMs: 25 }, { maxAttempts: 2 });
    const pid = await runningPid(queue, manager, id, 'slow');
    process.kill(pid, 'SIGSTOP');
    const job = (await queue.wait(id)) as Job;
    assert.equal(job.status, 'completed', JSON.stringify(job.error));
    assert.equal(job.attempts, 2);
    const retried = job.timeline.find((e) => e.type === 'retrying');
    assert.match(retried?.detail ?? '', /stopped/);
    assert.notEqual(manager.get('slow')?.pid, pid);
  });

  test('a CPU-bound Node plugin holding its event loop for 4x the window is never mistaken for hung', async () => {
    const { manager, queue } = await setup([nodePlugins()]);
    await using _m = manager;
    await using _q = queue;
    const unresponsive: unknown[] = [];
    manager.on('unresponsive', (e) => unresponsive.push(e));
    const id = await queue.submit('spin', { ms: LIVENESS.hangTimeoutMs * 4 });
    const job = (await queue.wait(id)) as Job;
    assert.equal(job.status, 'completed', JSON.stringify(job.error));
    assert.deepEqual(unresponsive, []);
  });

  test('a CPU-bound Python plugin holding the GIL is left alone; a SIGSTOPped one is killed', {
    skip: pythonSkip,
  }, async () => {
    const { manager, queue } = await setup([pythonSpin()]);
    await using _m = manager;
    await using _q = queue;
    const unresponsive: unknown[] = [];
    manager.on('unresponsive', (e) => unresponsive.push(e));
    const busy = await queue.submit('py-spin', { ms: LIVENESS.hangTimeoutMs * 4 });
    assert.equal(((await queue.wait(busy)) as Job).status, 'completed');
    assert.deepEqual(unresponsive, []);
    const stopped = await queue.submit('py-spin', { ms: 60_000 });
    const pid = await runningPid(queue, manager, stopped, 'py-spin');
    process.kill(pid, 'SIGSTOP');
    const job = (await queue.wait(stopped)) as Job;
    assert.equal(job.error?.code, 'ERR_WORKER_UNRESPONSIVE');
    assert.equal((job.error?.data as { stopped?: boolean } | undefined)?.stopped, true);
  });
});

describe('hang bookkeeping', () => {
  const detectorModule = () =>
    import(new URL('./manager/hang-detector.js', import.meta.resolve('bulkhead')).href) as Promise<
      typeof import('../../packages/host/src/manager/hang-detector.js')
    >;
  test('silence with CPU progress is work; silence without it, or stopped, for the window is a hang', async () => {
    const { HangDetector } = await detectorModule();
    const d = new HangDetector(1000);
    const o = (now: number, cpuMs: number, answered = false, stopped = false) =>
      d.observe({ answered, cpuMs, stopped, now });
    assert.equal(o(0, 0), null);
    assert.equal(o(500, 500), null, 'computing');
    assert.equal(o(1000, 1000), null, 'computing');
    assert.equal(o(1500, 1001), null, 'quiet since 1000, not yet for the window');
    assert.deepEqual(o(2000, 1002), { quietMs: 1000, stopped: false });
    assert.equal(o(2100, 1002, true), null, 'an answer clears it');
    assert.equal(o(2200, 1002, false, true), null);
    assert.deepEqual(o(3100, 1002, false, true), { quietMs: 1000, stopped: true });
    d.reset();
    assert.equal(new HangDetector(1).observe({ answered: false, cpuMs: undefined, stopped: false, now: 9 }), null);
  });
});
