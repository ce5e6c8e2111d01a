/**
 * The JobStore contract, part 1: insert and get, pending and running, update, timeline and logs, batch.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { JobEvent } from '../job-store.js';
import { hex, ids, log, newJob, plain, T0, type WithStore } from './support.js';

export function recordTests(withStore: WithStore): void {
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
}
