/**
 * The JobStore contract as tests, written once and run against every store (SQLite now, Redis
 * later): `jobStoreConformance('sqlite', open)` registers the suite. It tests what
 * packages/host/src/queue/job-store.ts promises and nothing a particular store happens to do.
 *
 * Each test opens a fresh, empty store and calls `cleanup` at the end (after the test may have
 * closed the store itself).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isBulkheadError } from '@bulkhead/sdk';
import type { LogEntry } from '../packages/host/src/process/log-buffer.js';
import type { JobEvent, JobRecord, JobStatus, JobStore, NewJob } from '../packages/host/src/queue/job-store.js';

export interface OpenedStore {
  store: JobStore;
  /** Closes the store if the test did not, and removes what it stored. */
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2030, 0, 1);

/** A new job; createdAt defaults to T0. */
export function newJob(id: string, fields: Partial<NewJob> = {}): NewJob {
  return {
    id,
    plugin: 'echo',
    input: new TextEncoder().encode(`{"id":"${id}"}`),
    priority: 0,
    idempotencyKey: null,
    maxAttempts: 1,
    timeoutMs: null,
    createdAt: T0,
    ...fields,
  };
}

/** A record with its byte fields as hex, so stores returning Buffer or Uint8Array compare alike. */
function plain(job: JobRecord | null) {
  if (job === null) return null;
  return { ...job, input: hex(job.input), result: job.result === null ? null : hex(job.result) };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const ids = (jobs: JobRecord[]) => jobs.map((j) => j.id);

function log(time: number, message: string, extra: Partial<LogEntry> = {}): LogEntry {
  return { time, source: 'plugin', level: 'info', message, ...extra };
}

export function jobStoreConformance(name: string, open: () => Promise<OpenedStore>): void {
  /** Runs `fn` on a fresh store, cleaning up whatever happens. */
  const withStore = (fn: (store: JobStore) => Promise<void>) => async () => {
    const { store, cleanup } = await open();
    try {
      await fn(store);
    } finally {
      await cleanup();
    }
  };

  describe(`JobStore conformance: ${name}`, () => {
    describe('insert and get', () => {
      test(
        'a job round-trips with every field, its input bytes exact',
        withStore(async (store) => {
          const every = Uint8Array.from({ length: 256 }, (_, i) => i);
          const job = newJob('a', {
            plugin: 'ocr',
            input: every,
            priority: 3,
            idempotencyKey: 'key-a',
            maxAttempts: 4,
            timeoutMs: 1500,
            createdAt: T0 + 7,
          });
          const [inserted] = await store.insert([job, newJob('empty', { input: new Uint8Array(0) })]);
          const expected = {
            id: 'a',
            plugin: 'ocr',
            input: hex(every),
            status: 'pending',
            priority: 3,
            idempotencyKey: 'key-a',
            attempts: 0,
            maxAttempts: 4,
            timeoutMs: 1500,
            createdAt: T0 + 7,
            startedAt: null,
            finishedAt: null,
            result: null,
            error: null,
            progress: null,
            timeline: [],
          };
          const { rank, ...rest } = plain(inserted!)!;
          assert.deepEqual(rest, expected);
          assert.equal(typeof rank, 'number');
          assert.deepEqual(plain(await store.get('a')), plain(inserted!));
          assert.equal((await store.get('empty'))?.input.byteLength, 0);
          assert.equal(await store.get('missing'), null);
        }),
      );

      test(
        'each job of a batch gets a rank after every pending job, in batch order',
        withStore(async (store) => {
          const [a] = await store.insert([newJob('a')]);
          const batch = await store.insert([newJob('b'), newJob('c'), newJob('d')]);
          assert.deepEqual(ids(batch), ['b', 'c', 'd']);
          const ranks = [a!, ...batch].map((j) => j.rank);
          assert.deepEqual(
            ranks,
            [...ranks].sort((x, y) => x - y),
          );
          assert.equal(new Set(ranks).size, 4, 'ranks are distinct');
          // Moved behind everything: the next job still comes after it.
          await store.update('a', { rank: Math.max(...ranks) + 100 });
          const [e] = await store.insert([newJob('e')]);
          assert.ok(e!.rank > Math.max(...ranks) + 100);
          assert.deepEqual(ids(await store.pending()), ['b', 'c', 'd', 'a', 'e']);
          // Stored ranks are the returned ones.
          for (const j of batch) assert.equal((await store.get(j.id))?.rank, j.rank);
        }),
      );

      test(
        'a batch that fails writes nothing',
        withStore(async (store) => {
          await store.insert([newJob('old')]);
          await assert.rejects(store.insert([newJob('x'), newJob('y'), newJob('old', { plugin: 'other' })]));
          await assert.rejects(store.insert([newJob('z'), newJob('z')]));
          for (const id of ['x', 'y', 'z']) assert.equal(await store.get(id), null, id);
          assert.equal((await store.get('old'))?.plugin, 'echo');
          assert.deepEqual(ids(await store.pending()), ['old']);
        }),
      );

      test(
        'an existing idempotency key returns the first job instead of inserting',
        withStore(async (store) => {
          const [first] = await store.insert([newJob('first', { idempotencyKey: 'k' })]);
          const [again] = await store.insert([newJob('second', { idempotencyKey: 'k', plugin: 'other' })]);
          assert.deepEqual(plain(again!), plain(first!));
          assert.equal(await store.get('second'), null);

          // Within one batch, and beside a new job.
          const batch = await store.insert([
            newJob('b1', { idempotencyKey: 'k2' }),
            newJob('b2', { idempotencyKey: 'k2' }),
            newJob('b3', { idempotencyKey: 'k' }),
            newJob('b4'),
          ]);
          assert.deepEqual(ids(batch), ['b1', 'b1', 'first', 'b4']);
          assert.equal(await store.get('b2'), null);
          assert.equal(await store.get('b3'), null);

          // Still the first job once it finished; null keys never collide.
          await store.update('first', { status: 'completed', finishedAt: T0 });
          const [done] = await store.insert([newJob('third', { idempotencyKey: 'k' })]);
          assert.equal(done!.id, 'first');
          assert.equal(done!.status, 'completed');
          await store.insert([newJob('n1'), newJob('n2')]);
          assert.ok(await store.get('n2'));
        }),
      );
    });

    describe('pending and running', () => {
      test(
        'pending jobs come by priority (higher first), then rank',
        withStore(async (store) => {
          await store.insert([
            newJob('p0'),
            newJob('p5', { priority: 5 }),
            newJob('p0b'),
            newJob('low', { priority: -1 }),
            newJob('p5b', { priority: 5 }),
          ]);
          assert.deepEqual(ids(await store.pending()), ['p5', 'p5b', 'p0', 'p0b', 'low']);
          assert.deepEqual(ids(await store.pending(2)), ['p5', 'p5b']);

          // Moved between two others by rank alone, and promoted by priority.
          const p0 = await store.get('p0');
          await store.update('p0b', { rank: p0!.rank - 0.5 });
          await store.update('low', { priority: 10 });
          assert.deepEqual(ids(await store.pending()), ['low', 'p5', 'p5b', 'p0b', 'p0']);

          await store.update('p5', { status: 'running' });
          await store.update('p0', { status: 'completed' });
          assert.deepEqual(ids(await store.pending()), ['low', 'p5b', 'p0b']);
        }),
      );

      test(
        'running() lists exactly the running jobs',
        withStore(async (store) => {
          await store.insert(['a', 'b', 'c', 'd'].map((id) => newJob(id)));
          assert.deepEqual(await store.running(), []);
          await store.update('a', { status: 'running', startedAt: T0 + 1, attempts: 1 });
          await store.update('c', { status: 'running', startedAt: T0 + 2, attempts: 1 });
          await store.update('d', { status: 'failed', finishedAt: T0 + 3 });
          const running = await store.running();
          assert.deepEqual(ids(running).sort(), ['a', 'c']);
          assert.ok(running.every((j) => j.status === 'running' && j.attempts === 1));
        }),
      );
    });

    describe('update', () => {
      test(
        'applies every patchable field, and returns the updated job',
        withStore(async (store) => {
          await store.insert([newJob('a')]);
          const result = new Uint8Array([0, 1, 254, 255]);
          const error = { code: 'ERR_PLUGIN_FAILED', message: 'boom', data: { name: 'TypeError', n: [1, 2] } };
          const updated = await store.update('a', {
            status: 'failed',
            priority: 2,
            rank: 42.5,
            attempts: 3,
            startedAt: T0 + 1,
            finishedAt: T0 + 2,
            result,
            error,
            progress: { fraction: 0.5, message: 'half' },
          });
          const expected = {
            ...plain(updated)!,
            status: 'failed',
            priority: 2,
            rank: 42.5,
            attempts: 3,
            startedAt: T0 + 1,
            finishedAt: T0 + 2,
            result: hex(result),
            error,
            progress: { fraction: 0.5, message: 'half' },
          };
          assert.deepEqual(plain(updated), expected);
          assert.deepEqual(plain(await store.get('a')), expected);

          // Back to null.
          const cleared = await store.update('a', { result: null, error: null, progress: null, finishedAt: null });
          assert.equal(cleared?.result, null);
          assert.equal(cleared?.error, null);
          assert.equal(cleared?.progress, null);
          assert.equal(cleared?.finishedAt, null);
        }),
      );

      test(
        'ifStatus: applies on a match, else returns null and changes nothing',
        withStore(async (store) => {
          await store.insert([newJob('a')]);
          const started = await store.update('a', { status: 'running', startedAt: T0 }, ['pending']);
          assert.equal(started?.status, 'running');
          assert.equal(started?.startedAt, T0);

          assert.equal(await store.update('a', { status: 'running', attempts: 9 }, ['pending']), null);
          assert.equal((await store.get('a'))?.attempts, 0);

          const done = await store.update('a', { status: 'completed', finishedAt: T0 + 1 }, ['pending', 'running']);
          assert.equal(done?.status, 'completed');
          assert.equal(await store.update('a', { status: 'cancelled' }, ['pending', 'running']), null);
          assert.equal((await store.get('a'))?.status, 'completed');

          // Without ifStatus it applies whatever the status.
          assert.equal((await store.update('a', { attempts: 2 }))?.attempts, 2);
        }),
      );

      test(
        'a missing job returns null',
        withStore(async (store) => {
          assert.equal(await store.update('missing', { status: 'running' }), null);
          assert.equal(await store.update('missing', { status: 'running' }, ['pending']), null);
          assert.equal(await store.get('missing'), null);
        }),
      );
    });

    describe('timeline and logs', () => {
      test(
        'events come back in the order appended, on get, pending and list',
        withStore(async (store) => {
          await store.insert([newJob('a'), newJob('b')]);
          const events: JobEvent[] = [
            { at: T0, type: 'queued' },
            { at: T0 + 5, type: 'waiting-for-resources', detail: 'needs 4 GiB GPU memory' },
            { at: T0 + 5, type: 'started', attempt: 1 },
            { at: T0 + 5, type: 'retrying', attempt: 2, detail: 'worker exited' },
            { at: T0 + 9, type: 'started', attempt: 2 },
          ];
          for (const e of events) await store.appendEvent('a', e);
          await store.appendEvent('b', { at: T0, type: 'queued' });
          assert.deepEqual((await store.get('a'))?.timeline, events);
          assert.deepEqual((await store.get('b'))?.timeline, [{ at: T0, type: 'queued' }]);
          const pending = await store.pending();
          assert.deepEqual(pending.find((j) => j.id === 'a')?.timeline, events);
          const listed = await store.list();
          assert.deepEqual(listed.jobs.find((j) => j.id === 'a')?.timeline, events);
          assert.deepEqual(listed.jobs.find((j) => j.id === 'b')?.timeline, [{ at: T0, type: 'queued' }]);
        }),
      );

      test(
        'logs: appended in order; logs(id, limit) gives the newest `limit`, oldest first',
        withStore(async (store) => {
          await store.insert([newJob('a'), newJob('b')]);
          const first = [
            log(T0, 'one'),
            log(T0, 'two', { level: 'warn', source: 'stderr' }),
            log(T0 + 1, 'three', { callId: 7, data: { rows: [1, 2], ok: true } }),
          ];
          const second = [log(T0 + 2, 'four', { data: null }), log(T0 + 3, 'five', { level: 'error', source: 'host' })];
          await store.appendLogs('a', first);
          await store.appendLogs('b', [log(T0, 'other job')]);
          await store.appendLogs('a', second);
          await store.appendLogs('a', []);
          assert.deepEqual(await store.logs('a'), [...first, ...second]);
          assert.deepEqual(
            (await store.logs('a', 2)).map((e) => e.message),
            ['four', 'five'],
          );
          assert.deepEqual(
            (await store.logs('a', 4)).map((e) => e.message),
            ['two', 'three', 'four', 'five'],
          );
          assert.deepEqual(await store.logs('b'), [log(T0, 'other job')]);
          assert.deepEqual(await store.logs('missing'), []);
        }),
      );

      test(
        'logs(id) defaults to the newest 1000',
        withStore(async (store) => {
          await store.insert([newJob('a')]);
          await store.appendLogs(
            'a',
            Array.from({ length: 1005 }, (_, i) => log(T0 + i, `line ${i}`)),
          );
          const logs = await store.logs('a');
          assert.equal(logs.length, 1000);
          assert.equal(logs[0]?.message, 'line 5');
          assert.equal(logs.at(-1)?.message, 'line 1004');
        }),
      );
    });

    describe('batch', () => {
      test(
        'applies ops in order and tells which applied',
        withStore(async (store) => {
          await store.insert([newJob('a'), newJob('b')]);
          const applied = await store.batch([
            { op: 'update', id: 'a', patch: { status: 'running', startedAt: T0 }, ifStatus: ['pending'] },
            { op: 'event', id: 'a', event: { at: T0, type: 'started', attempt: 1 } },
            // Sees the first op's write.
            { op: 'update', id: 'a', patch: { progress: { fraction: 0.25 } }, ifStatus: ['running'] },
            { op: 'update', id: 'b', patch: { status: 'completed' }, ifStatus: ['running'] },
            { op: 'update', id: 'missing', patch: { status: 'running' } },
            { op: 'logs', id: 'a', entries: [log(T0, 'hello'), log(T0 + 1, 'world')] },
            { op: 'event', id: 'a', event: { at: T0 + 1, type: 'completed' } },
          ]);
          assert.deepEqual(applied, [true, true, true, false, false, true, true]);
          const a = await store.get('a');
          assert.equal(a?.status, 'running');
          assert.deepEqual(a?.progress, { fraction: 0.25 });
          assert.deepEqual(a?.timeline, [
            { at: T0, type: 'started', attempt: 1 },
            { at: T0 + 1, type: 'completed' },
          ]);
          assert.deepEqual(
            (await store.logs('a')).map((e) => e.message),
            ['hello', 'world'],
          );
          assert.equal((await store.get('b'))?.status, 'pending');
          assert.deepEqual(await store.batch([]), []);
        }),
      );
    });

    describe('list', () => {
      /** Ten jobs, created T0+0 … T0+9; plugins alternate; some finished. */
      async function seed(store: JobStore): Promise<void> {
        await store.insert(
          Array.from({ length: 10 }, (_, i) =>
            newJob(`job-${i}`, { plugin: i % 2 === 0 ? 'alpha' : 'beta', createdAt: T0 + i }),
          ),
        );
        await store.update('job-1', { status: 'running' });
        await store.update('job-2', { status: 'completed', finishedAt: T0 + 20 });
        await store.update('job-3', {
          status: 'failed',
          finishedAt: T0 + 21,
          error: { code: 'ERR_PLUGIN_FAILED', message: 'Disk QUOTA exceeded' },
        });
        await store.update('job-4', { status: 'cancelled', finishedAt: T0 + 22 });
        await store.appendEvent('job-5', { at: T0, type: 'waiting-for-resources', detail: 'needs 2 GPUs' });
      }
      const listIds = async (store: JobStore, filter: Parameters<JobStore['list']>[0]) =>
        ids((await store.list(filter)).jobs);

      test(
        'newest first by default; filters by status, plugin, since and until',
        withStore(async (store) => {
          await seed(store);
          const all = await store.list();
          assert.deepEqual(
            ids(all.jobs),
            Array.from({ length: 10 }, (_, i) => `job-${9 - i}`),
          );
          assert.equal(all.next, null);
          assert.deepEqual(await listIds(store, { status: 'running' }), ['job-1']);
          assert.deepEqual(await listIds(store, { status: ['completed', 'failed', 'cancelled'] }), [
            'job-4',
            'job-3',
            'job-2',
          ]);
          assert.deepEqual(await listIds(store, { plugin: 'beta', status: 'pending' }), ['job-9', 'job-7', 'job-5']);
          // since inclusive, until exclusive.
          assert.deepEqual(await listIds(store, { since: T0 + 3, until: T0 + 6 }), ['job-5', 'job-4', 'job-3']);
          assert.deepEqual(await listIds(store, { since: T0 + 8 }), ['job-9', 'job-8']);
          assert.deepEqual(await listIds(store, { until: T0 + 1 }), ['job-0']);
          assert.deepEqual(await listIds(store, { plugin: 'nobody' }), []);
        }),
      );

      test(
        'text matches id, plugin, error message and timeline detail, ignoring case',
        withStore(async (store) => {
          await seed(store);
          assert.deepEqual(await listIds(store, { text: 'JOB-7' }), ['job-7']);
          assert.deepEqual(await listIds(store, { text: 'LPH', until: T0 + 3 }), ['job-2', 'job-0']);
          assert.deepEqual(await listIds(store, { text: 'quota' }), ['job-3']);
          assert.deepEqual(await listIds(store, { text: '2 gpu' }), ['job-5']);
          assert.deepEqual(await listIds(store, { text: 'nothing like this' }), []);
        }),
      );

      test(
        'text treats % and _ as themselves',
        withStore(async (store) => {
          await store.insert([newJob('done-100%'), newJob('a_b'), newJob('axb'), newJob('plain')]);
          assert.deepEqual(await listIds(store, { text: '100%' }), ['done-100%']);
          assert.deepEqual(await listIds(store, { text: '%' }), ['done-100%']);
          assert.deepEqual(await listIds(store, { text: 'a_b' }), ['a_b']);
          assert.deepEqual(await listIds(store, { text: '_' }), ['a_b']);
        }),
      );

      test(
        'text follows every write: a new job, a later error, an error cleared, a later event, a pruned job',
        withStore(async (store) => {
          await store.insert([newJob('first'), newJob('second', { createdAt: T0 + 1 })]);
          assert.deepEqual(await listIds(store, { text: 'second' }), ['second']);
          await store.update('first', { error: { code: 'ERR_PLUGIN_FAILED', message: 'Tokenizer exploded' } });
          assert.deepEqual(await listIds(store, { text: 'tokenizer EXP' }), ['first']);
          // A retry clears the error: the old message no longer finds the job.
          await store.update('first', { error: null });
          assert.deepEqual(await listIds(store, { text: 'tokenizer' }), []);
          await store.appendEvent('second', {
            at: T0 + 2,
            type: 'waiting-for-resources',
            detail: 'needs 4 GiB on gpu 1',
          });
          await store.appendEvent('second', { at: T0 + 3, type: 'started', attempt: 1 });
          assert.deepEqual(await listIds(store, { text: '4 gib ON' }), ['second']);
          await store.update('second', { status: 'completed', finishedAt: T0 + 4 });
          assert.equal(await store.prune({ maxCount: 0 }), 1);
          assert.deepEqual(await listIds(store, { text: '4 gib' }), []);
          assert.deepEqual(await listIds(store, { text: 'second' }), []);
          assert.deepEqual(await listIds(store, { text: 'first' }), ['first']);
          // Writes after the newest job and event were pruned (a store may hand out their keys again).
          await store.insert([newJob('third', { createdAt: T0 + 5 })]);
          await store.appendEvent('third', { at: T0 + 6, type: 'waiting-for-resources', detail: 'needs 4 GiB too' });
          assert.deepEqual(await listIds(store, { text: 'third' }), ['third']);
          assert.deepEqual(await listIds(store, { text: '4 gib' }), ['third']);
          await store.update('third', { error: { code: 'ERR_PLUGIN_FAILED', message: 'late failure' } });
          assert.deepEqual(await listIds(store, { text: 'late fail' }), ['third']);
        }),
      );

      test(
        'text of one or two characters, quotes and FTS syntax are plain substrings',
        withStore(async (store) => {
          await store.insert([
            newJob('say "hi" OR', { createdAt: T0 + 2 }),
            newJob('x*y', { createdAt: T0 + 1 }),
            newJob('NEAR(a b)', { createdAt: T0 }),
          ]);
          assert.deepEqual(await listIds(store, { text: 'x' }), ['x*y']);
          assert.deepEqual(await listIds(store, { text: 'HI' }), ['say "hi" OR']);
          assert.deepEqual(await listIds(store, { text: '"hi"' }), ['say "hi" OR']);
          assert.deepEqual(await listIds(store, { text: '" OR' }), ['say "hi" OR']);
          assert.deepEqual(await listIds(store, { text: 'x*' }), ['x*y']);
          assert.deepEqual(await listIds(store, { text: 'x*y' }), ['x*y']);
          assert.deepEqual(await listIds(store, { text: 'near(A' }), ['NEAR(a b)']);
          assert.deepEqual(await listIds(store, { text: 'a b)' }), ['NEAR(a b)']);
          assert.deepEqual(await listIds(store, { text: 'hi OR x' }), []);
        }),
      );

      test(
        'text ignores ASCII case only: é and É are different letters',
        withStore(async (store) => {
          await store.insert([newJob('café-job', { createdAt: T0 + 1 }), newJob('CAFÉ-JOB')]);
          assert.deepEqual(await listIds(store, { text: 'CAFé' }), ['café-job']);
          assert.deepEqual(await listIds(store, { text: 'café' }), ['café-job']);
          assert.deepEqual(await listIds(store, { text: 'cafÉ' }), ['CAFÉ-JOB']);
        }),
      );

      test(
        'text over a long history: rare and common needles, newest first, paged without gaps',
        withStore(async (store) => {
          // 3,000 jobs: every job's id holds "job", every 7th failed with "rare-<i>", and only
          // the oldest 2,100 carry "oldie" in their plugin name (a store may answer a needle
          // with many matches differently from a rare one: both must give the same pages).
          const jobs = Array.from({ length: 3000 }, (_, i) =>
            newJob(`job-${String(i).padStart(4, '0')}`, {
              plugin: i < 2100 ? 'oldie' : 'newer',
              createdAt: T0 + i,
            }),
          );
          await store.insert(jobs);
          await store.batch(
            jobs
              .filter((_, i) => i % 7 === 0)
              .map((j) => ({
                op: 'update' as const,
                id: j.id,
                patch: { error: { code: 'ERR_PLUGIN_FAILED', message: `rare-${j.id.slice(4)} broke` } },
              })),
          );
          assert.deepEqual(await listIds(store, { text: 'RARE-0014 ' }), ['job-0014']);
          const everyPage = async (text: string, limit: number) => {
            const seen: string[] = [];
            let cursor: string | undefined;
            do {
              const page = await store.list({ text, limit, ...(cursor === undefined ? {} : { cursor }) });
              seen.push(...ids(page.jobs));
              cursor = page.next ?? undefined;
            } while (cursor !== undefined);
            return seen;
          };
          const newestFirst = (pick: (i: number) => boolean) =>
            jobs
              .map((j, i) => (pick(i) ? j.id : null))
              .filter((id): id is string => id !== null)
              .reverse();
          assert.deepEqual(
            await everyPage('oldie', 100),
            newestFirst((i) => i < 2100),
          );
          assert.deepEqual(
            await everyPage('OLDIE', 1000),
            newestFirst((i) => i < 2100),
          );
          // A page of 100 fills within the newest jobs; one of 250 does not: both ways agree.
          assert.deepEqual(
            await everyPage('broke', 100),
            newestFirst((i) => i % 7 === 0),
          );
          assert.deepEqual(
            await everyPage('broke', 250),
            newestFirst((i) => i % 7 === 0),
          );
          assert.deepEqual(
            (await store.list({ text: 'job-', limit: 5 })).jobs.map((j) => j.id),
            ['job-2999', 'job-2998', 'job-2997', 'job-2996', 'job-2995'],
          );
          assert.deepEqual(await listIds(store, { text: 'broke', status: 'pending', until: T0 + 15 }), [
            'job-0014',
            'job-0007',
            'job-0000',
          ]);
        }),
      );

      test(
        'cursors page through every job exactly once, ties on createdAt included',
        withStore(async (store) => {
          // 25 jobs over 9 distinct times, inserted out of order.
          const jobs = Array.from({ length: 25 }, (_, i) =>
            newJob(`j${String(i).padStart(2, '0')}`, { createdAt: T0 + (i % 9) }),
          );
          await store.insert(jobs.reverse());
          await store.update('j03', { status: 'completed', finishedAt: T0 });
          await store.update('j12', { status: 'completed', finishedAt: T0 });
          const expected = jobs
            .map((j) => ({ id: j.id, at: j.createdAt }))
            .sort((x, y) => y.at - x.at || (x.id < y.id ? 1 : -1))
            .map((j) => j.id);

          const collect = async (status?: JobStatus) => {
            const seen: string[] = [];
            let cursor: string | undefined;
            for (let pages = 0; ; pages++) {
              assert.ok(pages < 20, 'pagination terminates');
              const page = await store.list({ limit: 7, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) });
              assert.ok(page.jobs.length <= 7);
              seen.push(...ids(page.jobs));
              if (page.next === null) return seen;
              cursor = page.next;
            }
          };
          assert.deepEqual(await collect(), expected);
          const pending = await collect('pending');
          assert.deepEqual(
            pending,
            expected.filter((id) => id !== 'j03' && id !== 'j12'),
          );
        }),
      );

      test(
        'the page size defaults to 100',
        withStore(async (store) => {
          await store.insert(Array.from({ length: 105 }, (_, i) => newJob(`j${i}`, { createdAt: T0 + i })));
          const first = await store.list();
          assert.equal(first.jobs.length, 100);
          assert.notEqual(first.next, null);
          const second = await store.list({ cursor: first.next! });
          assert.deepEqual(ids(second.jobs), ['j4', 'j3', 'j2', 'j1', 'j0']);
          assert.equal(second.next, null);
        }),
      );
    });

    describe('prune', () => {
      test(
        'maxCount keeps the newest finished jobs and their logs; pending and running stay',
        withStore(async (store) => {
          await store.insert(['f1', 'f2', 'f3', 'f4', 'f5', 'wait', 'run'].map((id) => newJob(id)));
          const statuses: JobStatus[] = ['completed', 'failed', 'cancelled', 'completed', 'failed'];
          for (const [i, status] of statuses.entries()) {
            await store.update(`f${i + 1}`, { status, finishedAt: T0 + 100 * (i + 1) });
            await store.appendLogs(`f${i + 1}`, [log(T0, `log of f${i + 1}`)]);
          }
          await store.update('run', { status: 'running', startedAt: T0 });
          assert.equal(await store.prune({ maxCount: 2 }), 3);
          for (const id of ['f1', 'f2', 'f3']) {
            assert.equal(await store.get(id), null, id);
            assert.deepEqual(await store.logs(id), [], id);
          }
          for (const id of ['f4', 'f5', 'wait', 'run']) assert.ok(await store.get(id), id);
          assert.equal((await store.logs('f5')).length, 1);
          assert.equal(await store.prune({ maxCount: 2 }), 0);
          assert.equal(await store.prune({ maxCount: 0 }), 2);
          assert.deepEqual(ids((await store.list()).jobs).sort(), ['run', 'wait']);
        }),
      );

      test(
        'maxAgeMs drops jobs that finished longer ago; unfinished jobs stay however old',
        withStore(async (store) => {
          const now = Date.now();
          const hour = 3600_000;
          await store.insert([
            newJob('ancient-pending', { createdAt: now - 1000 * hour }),
            newJob('ancient-running', { createdAt: now - 1000 * hour }),
            newJob('old1'),
            newJob('old2'),
            newJob('recent'),
          ]);
          await store.update('ancient-running', { status: 'running', startedAt: now - 999 * hour });
          await store.update('old1', { status: 'completed', finishedAt: now - 10 * hour });
          await store.update('old2', { status: 'failed', finishedAt: now - 2 * hour });
          await store.update('recent', { status: 'cancelled', finishedAt: now - 60_000 });
          await store.appendLogs('old1', [log(now, 'gone soon')]);
          assert.equal(await store.prune({}), 0);
          assert.equal(await store.prune({ maxAgeMs: hour }), 2);
          assert.deepEqual(ids((await store.list()).jobs).sort(), ['ancient-pending', 'ancient-running', 'recent']);
          assert.deepEqual(await store.logs('old1'), []);
          // Both limits at once: the union of what each would drop.
          assert.equal(await store.prune({ maxAgeMs: 1000 * hour, maxCount: 0 }), 1);
        }),
      );
    });

    describe('prune by status and bytes', () => {
      test(
        'status limits which finished jobs count and go; unfinished statuses are refused',
        withStore(async (store) => {
          await store.insert(['c1', 'c2', 'f1', 'f2', 'x1', 'wait'].map((id) => newJob(id)));
          const done: [string, JobStatus][] = [
            ['c1', 'completed'],
            ['c2', 'completed'],
            ['f1', 'failed'],
            ['f2', 'failed'],
            ['x1', 'cancelled'],
          ];
          for (const [i, [id, status]] of done.entries()) await store.update(id, { status, finishedAt: T0 + i });
          assert.equal(await store.prune({ status: ['failed'], maxCount: 1 }), 1);
          assert.equal(await store.get('f1'), null);
          assert.ok(await store.get('f2'));
          assert.equal(await store.prune({ status: ['failed', 'cancelled'], maxCount: 0 }), 2);
          assert.deepEqual(ids((await store.list()).jobs).sort(), ['c1', 'c2', 'wait']);
          assert.equal(await store.prune({ status: [], maxCount: 0 }), 0);
          await assert.rejects(store.prune({ status: ['pending'], maxCount: 0 }), (e: unknown) =>
            isBulkheadError(e, 'ERR_INVALID_ARGUMENT'),
          );
          assert.ok(await store.get('wait'));
        }),
      );

      test(
        "maxBytes keeps the newest finished jobs whose inputs and results fit; unfinished jobs don't count",
        withStore(async (store) => {
          const kb = (n: number) => new Uint8Array(n * 1024);
          await store.insert([
            newJob('old', { input: kb(4) }),
            newJob('mid', { input: kb(1) }),
            newJob('new', { input: kb(1) }),
            newJob('wait', { input: kb(64) }),
          ]);
          await store.update('old', { status: 'completed', finishedAt: T0 + 1, result: kb(1) });
          await store.update('mid', { status: 'completed', finishedAt: T0 + 2, result: kb(2) });
          await store.update('new', { status: 'failed', finishedAt: T0 + 3 });
          assert.equal(await store.prune({ maxBytes: 8 * 1024 }), 1); // new 1 KB + mid 3 KB fit, old's 5 KB do not
          assert.deepEqual(ids((await store.list()).jobs).sort(), ['mid', 'new', 'wait']);
          assert.equal(await store.prune({ maxBytes: 0 }), 2);
          assert.ok(await store.get('wait'));
        }),
      );
    });

    describe('idsWithPrefix', () => {
      test(
        'the ids that start with a prefix, in order, at most limit; wildcards are plain characters',
        withStore(async (store) => {
          await store.insert(['ab1', 'ab2', 'ac1', 'a%x', 'b'].map((id) => newJob(id)));
          assert.deepEqual(await store.idsWithPrefix('ab', 10), ['ab1', 'ab2']);
          assert.deepEqual(await store.idsWithPrefix('a', 2), ['a%x', 'ab1']);
          assert.deepEqual(await store.idsWithPrefix('a%', 10), ['a%x']);
          assert.deepEqual(await store.idsWithPrefix('ab1', 10), ['ab1']);
          assert.deepEqual(await store.idsWithPrefix('z', 10), []);
          assert.deepEqual(await store.idsWithPrefix('_', 10), []);
        }),
      );
    });

    describe('close', () => {
      test(
        'every method rejects with ERR_STORE_UNAVAILABLE after close; close is idempotent',
        withStore(async (store) => {
          await store.insert([newJob('a')]);
          await store.close();
          await store.close();
          const calls: [string, () => Promise<unknown>][] = [
            ['insert', () => store.insert([newJob('b')])],
            ['get', () => store.get('a')],
            ['pending', () => store.pending()],
            ['running', () => store.running()],
            ['list', () => store.list()],
            ['update', () => store.update('a', { status: 'running' })],
            ['appendEvent', () => store.appendEvent('a', { at: T0, type: 'queued' })],
            ['appendLogs', () => store.appendLogs('a', [log(T0, 'x')])],
            ['logs', () => store.logs('a')],
            ['batch', () => store.batch([{ op: 'event', id: 'a', event: { at: T0, type: 'queued' } }])],
            ['prune', () => store.prune({ maxCount: 0 })],
            ['idsWithPrefix', () => store.idsWithPrefix('a', 1)],
          ];
          for (const [method, call] of calls) {
            await assert.rejects(call(), (e: unknown) => isBulkheadError(e, 'ERR_STORE_UNAVAILABLE'), method);
          }
        }),
      );
    });
  });
}
