import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError, type Job, JobQueue, type JobQueueOptions, PluginManager, type SystemMonitor } from 'bulkhead';
import { SqliteJobStore } from 'bulkhead/sqlite';
import { fakeMachine } from '../fake-machine.js';
import { eventually, repoRoot, tempDir, waitFor } from '../helpers.js';
import { type FakePlugin, pluginDir, tempHome } from '../manager-helpers.js';

async function setup(
  plugins: FakePlugin[],
  options: Partial<JobQueueOptions> & {
    monitor?: SystemMonitor;
    policy?: 'permissive' | 'safety' | 'queue';
    queueTimeoutMs?: number;
  } = {},
) {
  const home = tempHome();
  const manager = new PluginManager({ pluginPaths: [pluginDir(plugins)], home, liveness: { pingIntervalMs: 0 } });
  const { monitor, policy, queueTimeoutMs, ...rest } = options;
  const queue = await JobQueue.open({
    manager,
    durability: 'process',
    scheduler: {
      ...(monitor ? { monitor } : {}),
      ...(policy ? { policy } : {}),
      ...(queueTimeoutMs !== undefined ? { queueTimeoutMs } : {}),
      refreshMs: 50,
    },
    ...rest,
  });
  return {
    home,
    manager,
    queue,
    async [Symbol.asyncDispose]() {
      await queue.stop({ timeoutMs: 5000 });
      await manager.close();
    },
  };
}

function journalFile(): string {
  const file = join(tempDir('bulkhead-journal-'), 'journal.txt');
  writeFileSync(file, '');
  return file;
}

// Scenarios that hold on both backends are in queue-behaviour.test.ts (run on SQLite and on Redis);
// these are the embedded queue's own: admission by simulated resources, recovery, stop.
describe('JobQueue', () => {
  test('jobs for two plugins run concurrently when memory allows, one at a time when it does not', async () => {
    const plugins: FakePlugin[] = [
      { name: 'left', fixture: 'slow', resources: { memoryMB: 600 } },
      { name: 'right', fixture: 'slow', resources: { memoryMB: 600 } },
    ];
    for (const [memory, expectOverlap] of [
      [2000, true],
      [1000, false],
    ] as const) {
      await using env = await setup(plugins, { monitor: fakeMachine(memory) });
      const { queue } = env;
      await queue.start();
      const ids = [
        await queue.submit('left', { steps: 4, stepMs: 25 }),
        await queue.submit('right', { steps: 4, stepMs: 25 }),
      ];
      const jobs = await Promise.all(ids.map((id) => queue.wait(id)));
      const [l, r] = jobs as [Job, Job];
      const overlap =
        (l.startedAt as number) < (r.finishedAt as number) && (r.startedAt as number) < (l.finishedAt as number);
      assert.equal(
        overlap,
        expectOverlap,
        `memory ${memory}: ${JSON.stringify(jobs.map((j) => [j.startedAt, j.finishedAt]))}`,
      );
      if (!expectOverlap) assert.ok(r.timeline.some((e) => e.type === 'waiting-for-resources'));
    }
  });

  test('reservations: 50 simultaneous submits never run more than capacity at once', async () => {
    const plugins: FakePlugin[] = Array.from({ length: 5 }, (_, i) => ({
      name: `gpu${i}`,
      fixture: 'slow',
      resources: { gpuMemoryMB: 30_000 },
    }));
    // Two GPUs of 80 GB: at most 2 jobs of 30 GB fit on each, 4 in all.
    await using env = await setup(plugins, { monitor: fakeMachine(100_000, [81_000, 81_000]) });
    const { queue } = env;
    await queue.start();
    let peak = 0;
    queue.on('started', () => {
      // Reservations are what admission counts: one per job between admission and its end.
      const view = queue.scheduler.ledger.view();
      peak = Math.max(peak, view.reservations.length);
      for (const g of view.gpus) assert.ok(g.reservedMB <= g.capacityMB, `GPU ${g.index} oversubscribed`);
    });
    const ids = await Promise.all(
      Array.from({ length: 50 }, (_, i) => queue.submit(`gpu${i % 5}`, { steps: 1, stepMs: 10 })),
    );
    await Promise.all(ids.map((id) => queue.wait(id)));
    assert.ok(peak <= 4, `peak ${peak}`);
    assert.ok(peak >= 2, `peak ${peak}: jobs should overlap`);
    assert.equal(queue.scheduler.ledger.view().reservations.length, 0, 'every reservation released');
  });

  test('safety policy refuses at submit, naming the resource, needed and free; nothing is written', async () => {
    await using env = await setup([{ name: 'big', fixture: 'noop', resources: { gpuMemoryMB: 12_288 } }], {
      monitor: fakeMachine(4000, [8192]),
      policy: 'safety',
    });
    const { queue } = env;
    await queue.start();
    await assert.rejects(queue.submit('big', 1), (e) => {
      assert.ok(isBulkheadError(e, 'ERR_INSUFFICIENT_RESOURCES'));
      assert.deepEqual(e.data, { resource: 'gpuMemoryMB', needed: 12_288, free: 8192, unit: 'MB' });
      assert.match(e.message, /largest GPU has 8192 MB/);
      return true;
    });
    assert.equal((await queue.list()).jobs.length, 0);
  });

  test('safety: a job failed at its turn frees its plugin slot; a smaller job of that plugin runs at once', async () => {
    await using env = await setup(
      [
        { name: 'p', fixture: 'slow', resources: { memoryMB: 150 } },
        { name: 'q', fixture: 'slow', resources: { memoryMB: 600 } },
      ],
      { monitor: fakeMachine(1000), policy: 'safety' },
    );
    const { queue } = env;
    const q1 = await queue.submit('q', { steps: 100_000, stepMs: 25 }); // runs until cancelled
    const p1 = await queue.submit('p', { steps: 1, stepMs: 1 }, { resources: { memoryMB: 600 } });
    const p2 = await queue.submit('p', { steps: 1, stepMs: 1 });
    await queue.start();
    assert.equal((await queue.wait(p1)).error?.code, 'ERR_INSUFFICIENT_RESOURCES');
    const small = await queue.wait(p2);
    assert.equal(small.status, 'completed');
    assert.equal((await queue.get(q1)).status, 'running', 'p2 did not wait for q1');
    await queue.cancel(q1);
  });

  test("jobs left pending by an earlier host are admitted by their plugin's declared resources", async () => {
    const plugins = pluginDir([{ name: 'big', fixture: 'slow', resources: { memoryMB: 5000 } }]);
    const home = tempHome();
    // An earlier host (permissive: it admits anything) stored the job and stopped before running it.
    {
      const manager = new PluginManager({ pluginPaths: [plugins], home, liveness: { pingIntervalMs: 0 } });
      const queue = await JobQueue.open({
        manager,
        scheduler: { monitor: fakeMachine(100_000), policy: 'permissive' },
      });
      await queue.submit('big', { steps: 1, stepMs: 1 });
      await queue.stop();
      await manager.close();
    }
    // A new host on a smaller machine, its manager not yet discovered: the job must not run.
    const manager = new PluginManager({ pluginPaths: [plugins], home, liveness: { pingIntervalMs: 0 } });
    const queue = await JobQueue.open({ manager, scheduler: { monitor: fakeMachine(1000), policy: 'safety' } });
    try {
      await queue.start();
      const [job] = (await queue.list()).jobs;
      const done = await queue.wait(job!.id);
      assert.equal(done.status, 'failed');
      assert.equal(done.error?.code, 'ERR_INSUFFICIENT_RESOURCES');
    } finally {
      await queue.stop();
      await manager.close();
    }
  });

  test('permissive: a GPU job submitted the moment the queue starts still gets a GPU reserved', async () => {
    const machine = fakeMachine(100_000, [8192]);
    // A measurement takes a while (nvidia-smi does): the first one ends only once the job is submitted.
    let submitted = () => {};
    const gate = new Promise<void>((r) => {
      submitted = r;
    });
    const slow: SystemMonitor = {
      async sample() {
        await gate;
        return machine.sample();
      },
      gpuProcesses: () => machine.gpuProcesses(),
    };
    await using env = await setup([{ name: 'g', fixture: 'slow', resources: { gpuMemoryMB: 4000 } }], {
      monitor: slow,
      policy: 'permissive',
    });
    const { queue } = env;
    await queue.start();
    let gpus: number[] | undefined;
    queue.on('started', () => {
      gpus = queue.scheduler.ledger.view().reservations[0]?.gpus;
    });
    const submitting = queue.submit('g', { steps: 1, stepMs: 1 }); // while the first measurement is under way
    submitted();
    await queue.wait(await submitting);
    assert.deepEqual(gpus, [0]);
  });

  test('a measurement that hangs (a wedged nvidia-smi) holds back only the jobs that need resources', {
    timeout: 20_000,
  }, async () => {
    let release = () => {};
    const measured = new Promise<void>((r) => {
      release = r;
    });
    const machine = fakeMachine(1000);
    const hanging: SystemMonitor = {
      async sample() {
        await measured;
        return machine.sample();
      },
      gpuProcesses: () => machine.gpuProcesses(),
    };
    await using env = await setup(
      [
        { name: 'light', fixture: 'slow' },
        { name: 'heavy', fixture: 'slow', resources: { memoryMB: 150 } },
      ],
      { monitor: hanging },
    );
    const { queue } = env;
    const light = await queue.submit('light', { steps: 1, stepMs: 1 });
    await queue.start();
    assert.equal((await queue.wait(light)).status, 'completed');
    // Admitting this one needs the measurement: its submit waits for it.
    let heavySubmitted = false;
    const heavy = queue.submit('heavy', { steps: 1, stepMs: 1 }).finally(() => {
      heavySubmitted = true;
    });
    // A later job that needs no measurement is submitted and runs to the end meanwhile; had the
    // heavy submit not waited for the measurement, it would have returned first.
    const later = await queue.submit('light', { steps: 1, stepMs: 1 });
    assert.equal((await queue.wait(later)).status, 'completed');
    assert.equal(heavySubmitted, false);
    release();
    assert.equal((await queue.wait(await heavy)).status, 'completed');
  });

  test('queue policy: a job waits for resources, explains why, then times out with the same error', async () => {
    await using env = await setup(
      [
        { name: 'hog', fixture: 'slow', resources: { memoryMB: 800 } },
        { name: 'small', fixture: 'slow', resources: { memoryMB: 800 } },
      ],
      { monitor: fakeMachine(1000), queueTimeoutMs: 2000 },
    );
    const { queue } = env;
    await queue.start();
    const hog = await queue.submit('hog', { steps: 100_000, stepMs: 50 }); // runs until cancelled
    const waiting = await queue.submit('small', { steps: 1, stepMs: 1 });
    await waitFor('the job to wait for resources', async () =>
      (await queue.explain(waiting)).reasons.some((r) => r.kind === 'resources'),
    );
    const why = await queue.explain(waiting);
    assert.equal(why.status, 'pending');
    assert.match(why.message, /needs 800 MB of RAM, 200 MB free/);
    assert.ok(why.reasons.some((r) => r.kind === 'resources'));
    const job = await queue.wait(waiting);
    assert.equal(job.status, 'failed');
    assert.equal(job.error?.code, 'ERR_INSUFFICIENT_RESOURCES');
    assert.match(job.error?.message ?? '', /after waiting 2000 ms/);
    await queue.cancel(hog);
  });

  test('cancel a running job that ignores its signal: forced after cancelTimeout, worker restarted, next job runs', async () => {
    await using env = await setup(
      [
        { name: 'stubborn', fixture: 'ignores-abort' },
        { name: 'noop', fixture: 'noop' },
      ],
      { cancelTimeoutMs: 200 },
    );
    const { queue, manager } = env;
    // Every worker the plugin gets, in order (the timed-out one below may be gone by the end).
    const workers: number[] = [];
    manager.on('loaded', (e) => e.name === 'stubborn' && workers.push(e.pid));
    await queue.start();
    const id = await queue.submit('stubborn', {});
    await eventually(() => manager.get('stubborn')?.state === 'busy');
    const job = await queue.cancel(id);
    assert.equal(job.status, 'cancelled');
    assert.match(job.timeline.at(-1)?.detail ?? '', /forced/);
    assert.equal(manager.get('stubborn')?.crashes, 0, 'a forced cancel is not a crash');
    const next = await queue.wait(await queue.submit('stubborn', { busy: false }, { timeout: 100 }));
    assert.equal(next.error?.code, 'ERR_TIMEOUT', 'ran on a fresh worker (and timed out as it never answers)');
    assert.equal(workers.length, 2);
    assert.notEqual(workers[1], workers[0]);
    assert.equal((await queue.wait(await queue.submit('noop', 7))).result, 7);
  });

  test('host killed with SIGKILL in the middle of 200 jobs: after a restart every job completes, none lost, none run more than its attempts', async () => {
    const dir = pluginDir([{ name: 'journal', fixture: 'journal' }]);
    const home = tempHome();
    const journal = journalFile();
    const host = join(repoRoot, 'build', 'test', 'fixtures', 'queue-host.js');
    const first = spawn(process.execPath, [host, 'submit', dir, home, journal, '200'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let completed = 0;
    let out = '';
    first.stdout.on('data', (d) => {
      out += d;
      completed = (out.match(/^completed /gm) ?? []).length;
    });
    assert.ok(await eventually(() => completed >= 40, 30_000), `only ${completed} completed`);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    assert.ok(completed < 200, 'the host was killed mid-run');
    const second = spawn(process.execPath, [host, 'drain', dir, home, journal], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let summary = '';
    second.stdout.on('data', (d) => {
      summary += d;
    });
    const code = await new Promise((r) => second.once('exit', r));
    assert.equal(code, 0);
    const jobs = JSON.parse(summary.trim().split('\n').at(-1) as string) as {
      id: string;
      status: string;
      attempts: number;
      tag: string;
    }[];
    assert.equal(jobs.length, 200, 'none lost');
    assert.ok(
      jobs.every((j) => j.status === 'completed'),
      JSON.stringify(jobs.filter((j) => j.status !== 'completed')),
    );
    const runs = new Map<string, number>();
    for (const tag of readFileSync(journal, 'utf8').trim().split('\n')) runs.set(tag, (runs.get(tag) ?? 0) + 1);
    assert.equal(runs.size, 200, 'every job ran');
    for (const j of jobs) {
      const n = runs.get(j.tag) ?? 0;
      assert.ok(n >= 1 && n <= j.attempts && j.attempts <= 2, `${j.tag} ran ${n} times in ${j.attempts} attempts`);
    }
    const doubled = [...runs.values()].filter((n) => n > 1).length;
    assert.ok(doubled <= 1, `${doubled} jobs ran twice; only the one interrupted may`);
  });
});

describe('JobQueue stop', () => {
  test('stop lets a running job finish and writes its outcome before the store closes', async () => {
    const plugins = pluginDir([{ name: 'slow', fixture: 'slow' }]);
    const home = tempHome();
    const open = async () => {
      const manager = new PluginManager({ pluginPaths: [plugins], home, liveness: { pingIntervalMs: 0 } });
      return { manager, queue: await JobQueue.open({ manager, durability: 'process' }) };
    };
    const first = await open();
    await first.queue.start();
    const id = await first.queue.submit('slow', { steps: 3, stepMs: 100 });
    const later = await first.queue.submit('slow', { steps: 1, stepMs: 1 });
    await eventually(() => first.manager.get('slow')?.state === 'busy');
    await first.queue.stop();
    await first.manager.close();
    const second = await open();
    assert.equal((await second.queue.get(id)).status, 'completed');
    assert.equal((await second.queue.get(later)).status, 'pending', 'nothing new starts once stopping');
    await second.queue.stop();
    await second.manager.close();
  });

  test('a job left running by a dead host can be cancelled by a queue that was never started', async () => {
    const plugins = pluginDir([{ name: 'slow', fixture: 'slow' }]);
    const home = tempHome();
    const manager = new PluginManager({ pluginPaths: [plugins], home, liveness: { pingIntervalMs: 0 } });
    const first = await JobQueue.open({ manager, durability: 'process' });
    const id = await first.submit('slow', {});
    await first.stop();
    await manager.close();
    // What a host killed mid-job leaves behind: the job `running`, and nobody running it.
    const store = await SqliteJobStore.open(join(home, 'jobs.db'));
    await store.batch([{ op: 'update', id, patch: { status: 'running', attempts: 1, startedAt: Date.now() } }]);
    await store.close();
    const other = new PluginManager({ pluginPaths: [plugins], home, liveness: { pingIntervalMs: 0 } });
    const second = await JobQueue.open({ manager: other, durability: 'process' });
    assert.equal((await second.get(id)).status, 'running');
    const job = await second.cancel(id);
    assert.equal(job.status, 'cancelled');
    assert.match(job.timeline.at(-1)?.detail ?? '', /host went away/);
    await second.stop();
    await other.close();
  });
});
