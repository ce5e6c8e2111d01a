import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError, type Job, JobQueue, type JobQueueOptions, PluginManager, type SystemMonitor } from 'bulkhead';
import { SqliteJobStore } from 'bulkhead/sqlite';
import { eventually, repoRoot, tempDir, waitFor } from '../helpers.js';
import { type FakePlugin, pluginDir, tempHome } from '../manager-helpers.js';

/** A machine with `memoryMB` of RAM and the given GPUs (MB each), for simulated admission. */
function fakeMachine(memoryMB: number, gpus: number[] = []): SystemMonitor {
  return {
    async sample() {
      return {
        time: Date.now(),
        cpu: { model: 'fake', cores: 8, percent: 0, loadavg: [0, 0, 0] as [number, number, number] },
        memory: { totalMB: memoryMB, freeMB: memoryMB, availableMB: memoryMB },
        gpus: gpus.map((mb, index) => ({
          index,
          uuid: `GPU-${index}`,
          name: 'Fake GPU',
          memoryTotalMB: mb,
          memoryUsedMB: 0,
          memoryFreeMB: mb,
          utilizationPercent: 0,
          temperatureC: null,
          powerW: null,
        })),
      };
    },
    async gpuProcesses() {
      return [];
    },
  };
}

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

describe('JobQueue', () => {
  test('runs a job end to end: result, progress events, timeline, per-job logs', async () => {
    await using env = await setup([
      { name: 'slow', fixture: 'slow' },
      { name: 'journal', fixture: 'journal' },
    ]);
    const { queue } = env;
    await queue.start();
    const progress: number[] = [];
    queue.on('progress', (p) => progress.push(p.fraction ?? -1));
    const id = await queue.submit('slow', { steps: 3, stepMs: 5 });
    const job = await queue.wait(id);
    assert.equal(job.status, 'completed');
    assert.equal(job.result, 'done');
    assert.equal(await queue.result(id), 'done');
    assert.deepEqual(progress, [1 / 3, 2 / 3, 1]);
    // The last report is stored with the outcome, read back from the store.
    assert.equal((await queue.get(id)).progress?.fraction, 1);
    assert.deepEqual(
      job.timeline.map((e) => e.type),
      ['queued', 'loading-plugin', 'started', 'completed'],
    );
    const file = journalFile();
    const j = await queue.wait(await queue.submit('journal', { tag: 'hello', file }));
    assert.equal(j.result, 'hello');
    const logs = await queue.logs(j.id);
    assert.ok(
      logs.some((l) => l.message === 'ran hello'),
      JSON.stringify(logs),
    );
  });

  test('priority order, then submission order; reorder by position and by priority', async () => {
    await using env = await setup([{ name: 'journal', fixture: 'journal' }]);
    const { queue } = env;
    const file = journalFile();
    const submit = (tag: string, priority = 0) => queue.submit('journal', { tag, file }, { priority });
    const a = await submit('a');
    await submit('b');
    await submit('c', 5);
    const d = await submit('d');
    await submit('e', 5);
    await queue.reorder(d, { position: 0 }); // d jumps to the front (takes priority 5)
    await queue.reorder(a, { priority: -1 }); // a goes last
    const explained = await queue.explain(a);
    assert.equal(explained.ahead, 4);
    assert.match(explained.message, /4 jobs ahead|not been started/);
    await queue.start();
    await queue.stop({ drain: true });
    assert.deepEqual(readFileSync(file, 'utf8').trim().split('\n'), ['d', 'c', 'e', 'b', 'a']);
  });

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
        { name: 'p', fixture: 'slow', resources: { memoryMB: 10 } },
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
        { name: 'heavy', fixture: 'slow', resources: { memoryMB: 100 } },
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

  test('cancel a pending job: removed, never runs', async () => {
    await using env = await setup([{ name: 'journal', fixture: 'journal' }]);
    const { queue } = env;
    const file = journalFile();
    const keep = await queue.submit('journal', { tag: 'keep', file });
    const drop = await queue.submit('journal', { tag: 'drop', file });
    const cancelled = await queue.cancel(drop);
    assert.equal(cancelled.status, 'cancelled');
    await queue.start();
    await queue.wait(keep);
    await queue.stop({ drain: true });
    assert.deepEqual(readFileSync(file, 'utf8').trim().split('\n'), ['keep']);
  });

  test('cancel a running job: the plugin stops on its signal; ends cancelled, not forced', async () => {
    await using env = await setup([{ name: 'slow', fixture: 'slow' }]);
    const { queue } = env;
    await queue.start();
    const id = await queue.submit('slow', { steps: 1000, stepMs: 10 });
    await new Promise<void>((r) => queue.once('progress', () => r()));
    const events: unknown[] = [];
    queue.on('cancelled', (e) => events.push(e));
    const job = await queue.cancel(id);
    assert.equal(job.status, 'cancelled');
    assert.deepEqual(events, [{ id, plugin: 'slow', forced: false }]);
    assert.equal(job.timeline.at(-1)?.type, 'cancelled');
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

  test('idempotency: the same key returns the first job, once', async () => {
    await using env = await setup([{ name: 'noop', fixture: 'noop' }]);
    const { queue } = env;
    const a = await queue.submit('noop', 1, { idempotencyKey: 'order-42' });
    const b = await queue.submit('noop', 2, { idempotencyKey: 'order-42' });
    assert.equal(a, b);
    assert.equal((await queue.list()).jobs.length, 1);
    assert.equal((await queue.get(a)).input, 1);
  });

  test('retries: a crash is retried up to maxAttempts, then the job fails with the last error', async () => {
    await using env = await setup([{ name: 'crash', fixture: 'crash' }]);
    const { queue } = env;
    await queue.start();
    const job = await queue.wait(await queue.submit('crash', { how: 'exit' }, { maxAttempts: 3 }));
    assert.equal(job.status, 'failed');
    assert.equal(job.attempts, 3);
    assert.equal(job.error?.code, 'ERR_WORKER_EXITED');
    assert.equal(job.timeline.filter((e) => e.type === 'retrying').length, 2);
  });

  test('bad input is refused at submit with a stable code and nothing written', async () => {
    await using env = await setup([
      { name: 'noop', fixture: 'noop' },
      { name: 'typed', fixture: 'noop' },
    ]);
    const { queue, manager } = env;
    // The typed plugin declares an input schema in its manifest.
    const manifestDir = (manager.discovery ?? (await manager.discover())).plugins.find(
      (p) => p.manifest.name === 'typed',
    )?.manifestPath as string;
    const m = JSON.parse(readFileSync(manifestDir, 'utf8'));
    m.inputSchema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    writeFileSync(manifestDir, JSON.stringify(m));
    await manager.discover();
    await manager.disable('noop');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: [() => Promise<unknown>, string][] = [
      [() => queue.submit('nope', 1), 'ERR_UNKNOWN_PLUGIN'],
      [() => queue.submit('noop', 1), 'ERR_PLUGIN_DISABLED'],
      [() => queue.submit('typed', { n: 'x' }), 'ERR_INPUT_INVALID'],
      [() => queue.submit('typed', { n: 1, f: () => 1 }), 'ERR_SERIALIZE'],
      [() => queue.submit('typed', cyclic), 'ERR_INPUT_INVALID'],
      [() => queue.submit('typed', { n: 1 }, { timeout: -5 }), 'ERR_INVALID_ARGUMENT'],
      [() => queue.submit('typed', { n: 1 }, { maxAttempts: 0 }), 'ERR_INVALID_ARGUMENT'],
      [() => queue.cancel('no-such-job'), 'ERR_JOB_NOT_FOUND'],
      [() => queue.get('no-such-job'), 'ERR_JOB_NOT_FOUND'],
      [() => queue.wait('no-such-job'), 'ERR_JOB_NOT_FOUND'],
    ];
    for (const [p, code] of cases) await assert.rejects(p(), (e) => isBulkheadError(e) && e.code === code, code);
    assert.equal((await queue.list()).jobs.length, 0);
  });

  test('wait with a timeout or a signal; snapshot shows running, pending and recent', async () => {
    await using env = await setup([{ name: 'slow', fixture: 'slow' }]);
    const { queue } = env;
    await queue.start();
    const long = await queue.submit('slow', { steps: 100_000, stepMs: 20 }); // runs until cancelled
    const queued = await queue.submit('slow', { steps: 1, stepMs: 1 });
    await assert.rejects(queue.wait(long, { timeout: 50 }), { code: 'ERR_TIMEOUT' });
    await assert.rejects(queue.wait(long, { signal: AbortSignal.timeout(20) }), { code: 'ERR_CANCELLED' });
    await waitFor('the long job to run', async () => (await queue.get(long)).status === 'running');
    const snap = await queue.snapshot();
    assert.deepEqual(
      snap.running.map((j) => j.id),
      [long],
    );
    assert.deepEqual(
      snap.pending.map((j) => j.id),
      [queued],
    );
    assert.equal(snap.policy, 'queue');
    assert.ok(snap.resources.memory.capacityMB > 0);
    await queue.cancel(long);
    await queue.wait(queued);
    const after = await queue.snapshot();
    assert.deepEqual(
      after.recent.map((j) => j.id),
      [queued, long],
    );
  });

  test('history: filter by plugin, status and text; retention prunes finished jobs', async () => {
    await using env = await setup(
      [
        { name: 'noop', fixture: 'noop' },
        { name: 'fail', fixture: 'fail' },
      ],
      { retention: { maxCount: 3 } },
    );
    const { queue } = env;
    await queue.start();
    const ok = await Promise.all([1, 2, 3, 4].map((n) => queue.submit('noop', n)));
    const bad = await queue.submit('fail', { message: 'model exploded' });
    await Promise.all([...ok, bad].map((id) => queue.wait(id)));
    assert.equal((await queue.list({ plugin: 'noop' })).jobs.length, 4);
    assert.deepEqual(
      (await queue.list({ status: 'failed' })).jobs.map((j) => j.id),
      [bad],
    );
    assert.deepEqual(
      (await queue.list({ text: 'exploded' })).jobs.map((j) => j.id),
      [bad],
    );
    assert.equal(await queue.prune(), 2);
    assert.equal((await queue.list()).jobs.length, 3);
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

  test('jobs still running at the end of stop() go back to pending, the attempt not counted', async () => {
    const plugins = pluginDir([{ name: 'slow', fixture: 'slow' }]);
    const home = tempHome();
    const manager = new PluginManager({ pluginPaths: [plugins], home, liveness: { pingIntervalMs: 0 } });
    const first = await JobQueue.open({ manager, durability: 'process' });
    await first.start();
    const id = await first.submit('slow', { steps: 100, stepMs: 100 });
    await eventually(() => manager.get('slow')?.state === 'busy');
    await first.stop({ timeoutMs: 0 });
    await manager.close();
    const other = new PluginManager({ pluginPaths: [plugins], home, liveness: { pingIntervalMs: 0 } });
    const second = await JobQueue.open({ manager: other, durability: 'process' });
    const job = await second.get(id);
    assert.equal(job.status, 'pending');
    assert.equal(job.attempts, 0);
    assert.match(job.timeline.at(-1)?.detail ?? '', /host was stopped/);
    await second.stop();
    await other.close();
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
