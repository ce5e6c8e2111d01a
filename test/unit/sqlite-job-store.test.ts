import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError } from '@bulkhead/sdk';
import { jobStoreConformance, newJob } from '../job-store-conformance.js';

import {
  migrate,
  pragma,
  raw,
  rejectsUnavailable,
  SCHEMA_VERSION,
  SqliteJobStore,
  tempDb,
  tempDir,
  withStore,
} from '../sqlite-store-helpers.js';

jobStoreConformance('SqliteJobStore', async () => {
  const dir = tempDir();
  const store = await SqliteJobStore.open(join(dir, 'jobs.db'));
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteJobStore: the file', () => {
  test('creates missing directories; WAL mode, schema version 2, and its indexes', async () => {
    const file = join(tempDir(), 'deep', 'er', 'jobs.db');
    await withStore(file, async (store) => {
      assert.equal(store.file, file);
    });
    const db = raw(file);
    try {
      assert.equal(pragma(db, 'journal_mode'), 'wal');
      assert.equal(pragma(db, 'user_version'), 2);
      assert.equal(SCHEMA_VERSION, 2);
      const indexes = db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")
        .all()
        .map((r) => (r as { name: string }).name);
      for (const name of ['jobs_run_order', 'jobs_idempotency_key', 'jobs_created', 'jobs_finished']) {
        assert.ok(indexes.includes(name), `${name} in ${indexes.join(', ')}`);
      }
    } finally {
      db.close();
    }
  });

  test('jobs, events and logs survive closing and reopening', async () => {
    const file = tempDb();
    const input = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256);
    await withStore(file, async (store) => {
      await store.insert([newJob('a', { input }), newJob('b')]);
      await store.appendEvent('a', { at: 1, type: 'queued' });
      await store.appendLogs('a', [{ time: 1, source: 'host', level: 'info', message: 'hi' }]);
    });
    await withStore(file, async (store) => {
      const a = await store.get('a');
      assert.ok(a !== null && Buffer.from(a.input).equals(Buffer.from(input)));
      assert.deepEqual(a.timeline, [{ at: 1, type: 'queued' }]);
      assert.equal((await store.logs('a'))[0]?.message, 'hi');
      assert.deepEqual(
        (await store.pending()).map((j) => j.id),
        ['a', 'b'],
      );
    });
  });

  describe('a file that is not a usable job database is refused with what to do', () => {
    test('a text file', async () => {
      const file = tempDb();
      writeFileSync(file, 'these are not the jobs you are looking for\n'.repeat(100));
      await rejectsUnavailable(SqliteJobStore.open(file), file, 'corrupt', /move it aside/);
      assert.match(readFileSync(file, 'utf8'), /^these are not/, 'left as it was');
    });

    test('random bytes', async () => {
      const file = tempDb();
      writeFileSync(file, Buffer.from(Array.from({ length: 16_384 }, (_, i) => (i * 2654435761) >>> 24)));
      await rejectsUnavailable(SqliteJobStore.open(file), file, 'corrupt');
    });

    test('a truncated database', async () => {
      const file = tempDb();
      await withStore(file, (store) =>
        store
          .insert(Array.from({ length: 300 }, (_, i) => newJob(`j${i}`, { input: new Uint8Array(2000).fill(i) })))
          .then(() => {}),
      );
      writeFileSync(file, readFileSync(file).subarray(0, Math.floor(statSync(file).size / 2)));
      await rejectsUnavailable(SqliteJobStore.open(file), file, 'corrupt', /move it aside/);
    });

    test('a damaged page inside an intact file', async () => {
      const file = tempDb();
      await withStore(file, (store) =>
        store
          .insert(Array.from({ length: 300 }, (_, i) => newJob(`j${i}`, { input: new Uint8Array(2000).fill(i) })))
          .then(() => {}),
      );
      const pages = statSync(file).size / 4096;
      const fd = openSync(file, 'r+');
      writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, Math.floor(pages / 2) * 4096);
      closeSync(fd);
      await rejectsUnavailable(SqliteJobStore.open(file), file, 'corrupt');
    });

    test("someone else's SQLite database", async () => {
      const file = tempDb();
      const db = raw(file);
      db.exec('CREATE TABLE recipes (name TEXT)');
      db.close();
      await rejectsUnavailable(SqliteJobStore.open(file), file, 'not-a-job-database');
    });

    test('a database from a newer Bulkhead: refused in one line, the file left exactly as it was', async () => {
      const file = tempDb();
      await withStore(file, (store) => store.insert([newJob('a'), newJob('b')]).then(() => {}));
      const db = raw(file);
      // What a newer schema looks like to this code: a higher version, and tables it does not know.
      db.exec('PRAGMA user_version = 99; CREATE TABLE from_the_future (x)');
      db.close();
      const before = readFileSync(file);
      await rejectsUnavailable(
        SqliteJobStore.open(file),
        file,
        'newer-schema',
        /^job database \S+ was written by a newer Bulkhead \(schema 99, this one knows up to 2\); upgrade Bulkhead or use another BULKHEAD_HOME$/,
      );
      assert.ok(readFileSync(file).equals(before), 'not a byte changed');
      const check = raw(file);
      assert.equal(pragma(check, 'user_version'), 99);
      assert.equal((check.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n, 2);
      assert.equal((check.prepare('SELECT count(*) AS n FROM owner').get() as { n: number }).n, 0, 'not claimed');
      check.close();
    });

    test('a version-1 database (no search index) is upgraded in place: its history becomes searchable', async () => {
      const file = tempDb();
      // A file as version 1 left it: its schema, a finished job with an error, a timeline, logs.
      const v1 = raw(file);
      v1.exec('BEGIN IMMEDIATE');
      migrate(v1, 0, 1);
      v1.exec('COMMIT');
      assert.equal(pragma(v1, 'user_version'), 1);
      v1.prepare(
        `INSERT INTO jobs (id, plugin, input, status, priority, rank, max_attempts, created_at, error)
         VALUES (?, 'ocr', x'00', 'failed', 0, 1, 1, 1, ?), (?, 'echo', x'00', 'pending', 0, 2, 1, 2, NULL)`,
      ).run('old-failed', JSON.stringify({ code: 'ERR_PLUGIN_FAILED', message: 'Scanner jammed' }), 'old-pending');
      v1.prepare(
        "INSERT INTO job_events (job_id, at, type, detail) VALUES ('old-pending', 3, 'waiting-for-resources', 'needs 9 GiB')",
      ).run();
      v1.prepare(
        "INSERT INTO job_logs (job_id, seq, time, source, level, message) VALUES ('old-failed', 1, 1, 'plugin', 'info', 'hi')",
      ).run();
      v1.close();

      await withStore(file, async (store) => {
        const found = async (text: string) => (await store.list({ text })).jobs.map((j) => j.id);
        assert.deepEqual(await found('SCANNER'), ['old-failed']);
        assert.deepEqual(await found('9 gib'), ['old-pending']);
        assert.deepEqual(await found('old-'), ['old-pending', 'old-failed']);
        assert.deepEqual(await found('oc'), ['old-failed']);
        // The old rows are intact, and new writes are indexed by the new triggers.
        assert.equal((await store.get('old-failed'))?.error?.message, 'Scanner jammed');
        assert.equal((await store.logs('old-failed')).length, 1);
        await store.insert([newJob('new-one', { createdAt: 5 })]);
        await store.appendEvent('old-failed', { at: 6, type: 'retrying', detail: 'paper fed again' });
        assert.deepEqual(await found('new-one'), ['new-one']);
        assert.deepEqual(await found('paper fed'), ['old-failed']);
      });
      const db = raw(file);
      try {
        assert.equal(pragma(db, 'user_version'), 2);
        const tables = db.prepare("SELECT name FROM sqlite_schema WHERE name LIKE '%_search'").all();
        assert.deepEqual(tables.map((t) => (t as { name: string }).name).sort(), ['job_events_search', 'jobs_search']);
      } finally {
        db.close();
      }
    });

    test('the search index drops a pruned job and its timeline with it', async () => {
      const file = tempDb();
      await withStore(file, async (store) => {
        await store.insert([newJob('gone'), newJob('kept', { createdAt: 2 })]);
        await store.appendEvent('gone', { at: 1, type: 'waiting-for-resources', detail: 'needs 1 GiB' });
        await store.appendEvent('kept', { at: 1, type: 'waiting-for-resources', detail: 'needs 2 GiB' });
        await store.update('gone', { status: 'completed', finishedAt: 1 });
        // A search indexes what was written since the last one; the prune then removes its part.
        assert.deepEqual(
          (await store.list({ text: 'GiB' })).jobs.map((j) => j.id),
          ['gone', 'kept'],
        );
        assert.equal(await store.prune({ maxCount: 0 }), 1);
      });
      const db = raw(file);
      try {
        const rows = (sql: string) =>
          db
            .prepare(sql)
            .all()
            .map((r) => Object.values(r).join(' '));
        assert.deepEqual(rows('SELECT id FROM jobs_search'), ['kept']);
        assert.deepEqual(rows('SELECT detail FROM job_events_search'), ['needs 2 GiB']);
      } finally {
        db.close();
      }
    });

    test('a path that is a directory', async () => {
      const dir = tempDir();
      await assert.rejects(SqliteJobStore.open(dir), (e: unknown) => isBulkheadError(e, 'ERR_STORE_UNAVAILABLE'));
    });
  });
});

describe('SqliteJobStore: details beyond the contract', () => {
  test('inserts synced off the event loop: concurrent ones all resolve, in order, and are in the file', async () => {
    const file = tempDb();
    await withStore(file, async (store) => {
      // Groups of two take the off-loop sync; started together, later ones queue behind the
      // running fsync and share the next one.
      const groups = Array.from({ length: 6 }, (_, g) => [newJob(`g${g}-a`), newJob(`g${g}-b`)]);
      const inserted = await Promise.all(groups.map((jobs) => store.insert(jobs)));
      assert.deepEqual(
        inserted.map((records) => records.map((r) => r.id)),
        groups.map((jobs) => jobs.map((j) => j.id)),
      );
      assert.deepEqual(
        inserted.flat().map((r) => r.rank),
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      // One job alone, and one while a sync runs: both stored too.
      const [alone, behind] = await Promise.all([store.insert([newJob('alone')]), store.insert([newJob('behind')])]);
      assert.equal(alone[0]?.id, 'alone');
      assert.equal(behind[0]?.id, 'behind');
    });
    const db = raw(file);
    try {
      assert.equal((db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n, 14);
    } finally {
      db.close();
    }
  });

  test('close waits for an insert whose sync is still running', async () => {
    const file = tempDb();
    const store = await SqliteJobStore.open(file);
    const inserting = store.insert([newJob('x'), newJob('y')]);
    await store.close();
    assert.deepEqual(
      (await inserting).map((r) => r.id),
      ['x', 'y'],
    );
    await withStore(file, async (again) => {
      assert.equal((await again.get('y'))?.status, 'pending');
    });
  });

  test('logs are capped per job, dropping the oldest', async () => {
    const file = tempDb();
    const line = (i: number) => ({ time: i, source: 'plugin' as const, level: 'info' as const, message: `line ${i}` });
    const rows = () => {
      const db = raw(file);
      const n = (db.prepare("SELECT count(*) AS n FROM job_logs WHERE job_id = 'a'").get() as { n: number }).n;
      db.close();
      return n;
    };
    await withStore(
      file,
      async (store) => {
        await store.insert([newJob('a'), newJob('b')]);
        for (let i = 0; i < 90; i += 30) {
          await store.appendLogs(
            'a',
            Array.from({ length: 30 }, (_, j) => line(i + j)),
          );
        }
        await store.appendLogs('b', [line(0)]);
        const logs = await store.logs('a', 1000);
        assert.equal(logs.length, 50);
        assert.equal(logs[0]?.message, 'line 40');
        assert.equal(logs.at(-1)?.message, 'line 89');
        assert.equal(rows(), 50);
        // One append larger than the cap.
        await store.appendLogs(
          'a',
          Array.from({ length: 120 }, (_, j) => line(100 + j)),
        );
        assert.equal((await store.logs('a', 1000))[0]?.message, 'line 170');
        assert.equal(rows(), 50);
        assert.equal((await store.logs('b')).length, 1);
      },
      { maxLogsPerJob: 50 },
    );
    // The default cap is 10,000.
    await withStore(file, async (store) => {
      await store.appendLogs(
        'a',
        Array.from({ length: 10_050 }, (_, j) => line(1000 + j)),
      );
      assert.equal(rows(), 10_000);
      assert.equal((await store.logs('a', 20_000))[0]?.message, 'line 1050');
    });
  });

  test('events and logs for a missing job: ERR_JOB_NOT_FOUND alone, false in a batch', async () => {
    await withStore(tempDb(), async (store) => {
      await assert.rejects(store.appendEvent('nope', { at: 1, type: 'queued' }), (e: unknown) =>
        isBulkheadError(e, 'ERR_JOB_NOT_FOUND'),
      );
      await assert.rejects(
        store.appendLogs('nope', [{ time: 1, source: 'host', level: 'info', message: 'x' }]),
        (e: unknown) => isBulkheadError(e, 'ERR_JOB_NOT_FOUND'),
      );
      await store.insert([newJob('a')]);
      assert.deepEqual(
        await store.batch([
          { op: 'event', id: 'nope', event: { at: 1, type: 'queued' } },
          { op: 'logs', id: 'nope', entries: [] },
          { op: 'event', id: 'a', event: { at: 1, type: 'queued' } },
        ]),
        [false, false, true],
      );
    });
  });

  test('bad arguments are ERR_INVALID_ARGUMENT, and a bad op rejects its whole batch', async () => {
    await withStore(tempDb(), async (store) => {
      const invalid = (e: unknown) => isBulkheadError(e, 'ERR_INVALID_ARGUMENT');
      await store.insert([newJob('a')]);
      await assert.rejects(store.insert([newJob('a')]), invalid);
      await assert.rejects(store.list({ cursor: 'not a cursor' }), invalid);
      await assert.rejects(store.list({ limit: 0 }), invalid);
      await assert.rejects(store.update('a', { id: 'b' } as never), invalid);
      await assert.rejects(
        store.batch([
          { op: 'update', id: 'a', patch: { status: 'running' } },
          { op: 'update', id: 'a', patch: { timeline: [] } as never },
        ]),
        invalid,
      );
      assert.equal((await store.get('a'))?.status, 'pending');
      await assert.rejects(SqliteJobStore.open(tempDb(), { durability: 'sometimes' as never }), invalid);
    });
  });

  test('list pages hold at most 1000 jobs', async () => {
    await withStore(
      tempDb(),
      async (store) => {
        await store.insert(Array.from({ length: 1005 }, (_, i) => newJob(`j${i}`, { createdAt: i })));
        const page = await store.list({ limit: 5000 });
        assert.equal(page.jobs.length, 1000);
        assert.notEqual(page.next, null);
      },
      { durability: 'process' },
    );
  });
});
