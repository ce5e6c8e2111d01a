/**
 * The JobStore contract, part 3: prune (by count, age, status and bytes), idsWithPrefix, close.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isBulkheadError } from '@bulkhead/sdk/errors';
import type { JobStatus } from '../job-store.js';
import { ids, log, newJob, T0, type WithStore } from './support.js';

export function pruneTests(withStore: WithStore): void {
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
}
