/**
 * The JobStore contract, part 2: list (filters, order, search, pages).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { JobStatus, JobStore } from '../job-store.js';
import { ids, newJob, T0, type WithStore } from './support.js';

export function listTests(withStore: WithStore): void {
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
}
