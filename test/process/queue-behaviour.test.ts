// The queue's behaviour, run against both backends: the embedded SQLite JobQueue and the Redis
// (BullMQ) RedisJobQueue on a private redis-server. Behaviours that cannot hold on Redis are not
// here but in REDIS_DIFFERS below, by name, with the reason (docs/scale-out.md says the same).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isBulkheadError, JobQueue, type JobQueueApi, type JobQueueOptions, PluginManager } from 'bulkhead';
import { RedisJobQueue } from 'bulkhead/redis';
import { tempDir, waitFor } from '../helpers.js';
import { type FakePlugin, pluginDir, tempHome } from '../manager-helpers.js';
import { redisMissing, TestRedis } from '../redis-helpers.js';

/** What the SQLite queue does that the Redis one does not, and why (docs/scale-out.md, "Differences"). */
export const REDIS_DIFFERS = {
  'jobs left running by a dead host are recovered at the next start()':
    'on Redis there is no "next start": BullMQ finds a stalled job within seconds and any host takes it (test/redis-scale-out.test.ts)',
  'queue policy: a job waits for resources, then times out with ERR_INSUFFICIENT_RESOURCES':
    'a job that fits no host now stays in Redis for a host where it fits; it is never taken to wait, so no host times it out',
  'safety policy refuses at submit a job that does not fit now':
    'the submitting host may not be the one that runs it; only a job that can never fit the submitting host is refused',
  'large values kept as files beside jobs.db': 'files are local to one machine; on Redis values live in Redis',
  'reorder to any position':
    'BullMQ orders a priority group by insertion: a position lands at the front or back of a group',
  'per-job resource overrides admitted by every host': "hosts reserve by their plugin's declared needs",
} as const;

type Backend = 'sqlite' | 'redis';
const backends: { name: Backend; skip: string | false }[] = [
  { name: 'sqlite', skip: false },
  { name: 'redis', skip: redisMissing() },
];

function journalFile(): string {
  const file = join(tempDir('bulkhead-journal-'), 'journal.txt');
  writeFileSync(file, '');
  return file;
}

for (const { name: backend, skip } of backends) {
  describe(`queue behaviour on ${backend}`, { skip }, () => {
    const redis = new TestRedis();
    let db = 0;
    before(async () => {
      if (backend === 'redis') await redis.start();
    });
    after(async () => {
      if (backend === 'redis') await redis.stop();
    });

    async function setup(plugins: FakePlugin[], options: Partial<JobQueueOptions> = {}) {
      const home = tempHome();
      const manager = new PluginManager({ pluginPaths: [pluginDir(plugins)], home, liveness: { pingIntervalMs: 0 } });
      const queue: JobQueueApi =
        backend === 'sqlite'
          ? await JobQueue.open({ manager, durability: 'process', ...options })
          : // A fresh database per test (16 by default): no test sees another's jobs.
            await RedisJobQueue.open({ manager, redis: `${redis.url}/${++db % 16}`, control: false, ...options });
      return {
        manager,
        queue,
        async [Symbol.asyncDispose]() {
          await queue.stop({ timeoutMs: 5000 });
          await manager.close();
        },
      };
    }

    // What does not hold on Redis is named here, as skipped tests with the reason.
    if (backend === 'redis') {
      for (const [name, why] of Object.entries(REDIS_DIFFERS))
        test(name, { skip: `differs on Redis: ${why}` }, () => {});
    }

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

    test('bytes stay bytes through the queue', async () => {
      await using env = await setup([{ name: 'noop', fixture: 'noop' }]);
      const { queue } = env;
      await queue.start();
      const input = { data: new Uint8Array([0, 1, 2, 255]) };
      const job = await queue.wait(await queue.submit('noop', input));
      assert.deepEqual((job.result as { data: Uint8Array }).data, input.data);
      assert.deepEqual((job.input as { data: Uint8Array }).data, input.data);
    });

    test('priority order, then submission order; reorder to the front and by priority', async () => {
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
      assert.equal(JSON.stringify(events), JSON.stringify([{ id, plugin: 'slow', forced: false }]));
      assert.equal(job.timeline.at(-1)?.type, 'cancelled');
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
        {
          name: 'typed',
          fixture: 'noop',
          inputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
        },
      ]);
      const { queue, manager } = env;
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
        [() => queue.submit('typed', { n: 1 }, { priority: Number.NaN }), 'ERR_INVALID_ARGUMENT'],
        [() => queue.cancel('no-such-job'), 'ERR_JOB_NOT_FOUND'],
        [() => queue.get('no-such-job'), 'ERR_JOB_NOT_FOUND'],
        [() => queue.wait('no-such-job'), 'ERR_JOB_NOT_FOUND'],
        [() => queue.resolveId('zzz'), 'ERR_JOB_NOT_FOUND'],
      ];
      for (const [p, code] of cases) await assert.rejects(p(), (e) => isBulkheadError(e) && e.code === code, code);
      assert.equal((await queue.list()).jobs.length, 0);
    });

    test('wait with a timeout or a signal; snapshot shows running, pending and recent', async () => {
      await using env = await setup([{ name: 'slow', fixture: 'slow' }]);
      const { queue } = env;
      await queue.start();
      const started = new Promise<void>((r) => queue.once('started', () => r()));
      const long = await queue.submit('slow', { steps: 20, stepMs: 20 });
      const queued = await queue.submit('slow', { steps: 1, stepMs: 1 });
      await started;
      await assert.rejects(queue.wait(long, { timeout: 50 }), { code: 'ERR_TIMEOUT' });
      await assert.rejects(queue.wait(long, { signal: AbortSignal.timeout(20) }), { code: 'ERR_CANCELLED' });
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
      // It shows the machine's resources too, once measured: the first measurement is not waited
      // for at start when no job needs resources (these declare none), so wait for it here.
      await waitFor('the snapshot to show the measured memory', async () => {
        return (await queue.snapshot()).resources.memory.capacityMB > 0;
      });
      await queue.wait(queued);
      const later = await queue.snapshot();
      assert.deepEqual(
        later.recent.map((j) => j.id),
        [queued, long],
      );
    });

    test('history: filter by plugin, status and text; ids by prefix; retention prunes finished jobs', async () => {
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
      const page = await queue.list({ limit: 2 });
      assert.equal(page.jobs.length, 2);
      const rest = await queue.list({ limit: 10, cursor: page.next as string });
      assert.equal(rest.jobs.length, 3);
      assert.equal(new Set([...page.jobs, ...rest.jobs].map((j) => j.id)).size, 5);
      assert.equal(await queue.resolveId(bad.slice(0, 8)), bad);
      assert.equal(await queue.prune(), 2);
      assert.equal((await queue.list()).jobs.length, 3);
    });

    test('jobs still running at the end of stop() go back to pending, the attempt not counted', async () => {
      await using env = await setup([{ name: 'slow', fixture: 'slow' }]);
      const { queue, manager } = env;
      await queue.start();
      const id = await queue.submit('slow', { steps: 100, stepMs: 100 });
      await new Promise<void>((r) => queue.once('progress', () => r()));
      await queue.stop({ timeoutMs: 0 });
      // Read back through a second queue on the same store.
      const other =
        backend === 'sqlite'
          ? await JobQueue.open({ manager, durability: 'process', control: false })
          : await RedisJobQueue.open({ manager, redis: `${redis.url}/${db % 16}`, control: false });
      const job = await other.get(id);
      assert.equal(job.status, 'pending');
      assert.equal(job.attempts, 0);
      assert.match(job.timeline.at(-1)?.detail ?? '', /host was stopped/);
      await other.stop();
    });
  });
}
