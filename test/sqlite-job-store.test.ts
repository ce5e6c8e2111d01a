import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { isBulkheadError } from '@bulkhead/sdk';
import { jobStoreConformance, newJob } from './job-store-conformance.js';

// The store is not (yet) part of the package's public entry: load the built module beside it.
const storeUrl = new URL('./queue/sqlite/index.js', import.meta.resolve('bulkhead')).href;
const { SqliteJobStore } = (await import(storeUrl)) as typeof import('../packages/host/src/queue/sqlite/index.js');
// node:sqlite through the store's own loader, which keeps Node 22's ExperimentalWarning out of the output.
const { nodeSqlite } = (await import(
  new URL('./queue/sqlite/node-sqlite.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../packages/host/src/queue/sqlite/node-sqlite.js');
const { DatabaseSync } = nodeSqlite();
type DatabaseSync = import('node:sqlite').DatabaseSync;
type SqliteJobStoreOptions = import('../packages/host/src/queue/sqlite/index.js').SqliteJobStoreOptions;
type SqliteJobStore = import('../packages/host/src/queue/sqlite/index.js').SqliteJobStore;

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-sqlite-'));
  dirs.push(dir);
  return dir;
}

const tempDb = () => join(tempDir(), 'jobs.db');

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

/** Asserts that `promise` rejects with ERR_STORE_UNAVAILABLE for `file` with this reason. */
async function rejectsUnavailable(promise: Promise<unknown>, file: string, reason: string, message?: RegExp) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(isBulkheadError(e, 'ERR_STORE_UNAVAILABLE'), `expected ERR_STORE_UNAVAILABLE, got ${String(e)}`);
    assert.deepEqual(e.data, { file, reason });
    assert.ok(e.message.includes(file), e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

async function withStore(file: string, fn: (store: SqliteJobStore) => Promise<void>, options?: SqliteJobStoreOptions) {
  const store = await SqliteJobStore.open(file, options);
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** A node child running an ESM script with the built store at hand (`STORE_URL`, `JOBS_DB`). */
function spawnStoreScript(
  script: string,
  file: string,
): { child: ChildProcess; lines: string[]; line(text: string): Promise<void> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, STORE_URL: storeUrl, JOBS_DB: file },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: { text: string; resolve(): void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    lines.push(text);
    for (const w of waiters.filter((w) => w.text === text)) w.resolve();
  });
  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const line = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (lines.includes(text)) return resolve();
      waiters.push({ text, resolve });
      child.once('exit', (code, signal) =>
        reject(new Error(`child exited (${code ?? signal}) before printing ${text}`)),
      );
    });
  return { child, lines, line };
}

/** A store script that takes the file and holds it until killed. */
const HOLD = `
  const { SqliteJobStore } = await import(process.env.STORE_URL);
  await SqliteJobStore.open(process.env.JOBS_DB);
  console.log('ready');
  setInterval(() => {}, 1000);
`;

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

/** A second, plain connection. */
function raw(file: string): DatabaseSync {
  return new DatabaseSync(file);
}

/** The value of a pragma, as `PRAGMA name` reads it. */
function pragma(db: DatabaseSync, name: string): unknown {
  return Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0];
}

describe('SqliteJobStore: the file', () => {
  test('creates missing directories; WAL mode, schema version 1, and its indexes', async () => {
    const file = join(tempDir(), 'deep', 'er', 'jobs.db');
    await withStore(file, async (store) => {
      assert.equal(store.file, file);
    });
    const db = raw(file);
    try {
      assert.equal(pragma(db, 'journal_mode'), 'wal');
      assert.equal(pragma(db, 'user_version'), 1);
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

  test('durability: every insert that resolved before a SIGKILL is there after it', async () => {
    const file = tempDb();
    const { child, lines, line } = spawnStoreScript(
      `
      const { SqliteJobStore } = await import(process.env.STORE_URL);
      const store = await SqliteJobStore.open(process.env.JOBS_DB);
      const input = new Uint8Array(4096).fill(7);
      for (let i = 0; i < 100; i++) {
        const id = 'job-' + i;
        await store.insert([{ id, plugin: 'p', input, priority: 0, idempotencyKey: null, maxAttempts: 1,
          timeoutMs: null, createdAt: Date.now() }]);
        process.stdout.write(id + '\\n');
      }
      setInterval(() => {}, 1000);
      `,
      file,
    );
    await line('job-49');
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    const [, signal] = await exited;
    assert.equal(signal, 'SIGKILL');
    const printed = lines.filter((l) => l.startsWith('job-'));
    assert.ok(printed.length >= 50);
    // The dead child's owner row is stale: taken over.
    await withStore(file, async (store) => {
      for (const id of printed) {
        const job = await store.get(id);
        assert.ok(job !== null, `${id} printed but missing`);
        assert.equal(job.input.byteLength, 4096);
        assert.ok(job.input.every((b) => b === 7));
      }
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
        /^job database \S+ was written by a newer Bulkhead \(schema 99, this one knows up to 1\); upgrade Bulkhead or use another BULKHEAD_HOME$/,
      );
      assert.ok(readFileSync(file).equals(before), 'not a byte changed');
      const check = raw(file);
      assert.equal(pragma(check, 'user_version'), 99);
      assert.equal((check.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n, 2);
      assert.equal((check.prepare('SELECT count(*) AS n FROM owner').get() as { n: number }).n, 0, 'not claimed');
      check.close();
    });

    test('a path that is a directory', async () => {
      const dir = tempDir();
      await assert.rejects(SqliteJobStore.open(dir), (e: unknown) => isBulkheadError(e, 'ERR_STORE_UNAVAILABLE'));
    });
  });
});

describe('SqliteJobStore: node:sqlite', () => {
  test("Node 22's ExperimentalWarning for SQLite is dropped, and only it", () => {
    const script = `
      const { SqliteJobStore } = await import(process.env.STORE_URL);
      const store = await SqliteJobStore.open(process.env.JOBS_DB);
      await store.close();
      process.emitWarning('Some other feature is an experimental feature', 'ExperimentalWarning');
      process.emitWarning('a warning of our own');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, STORE_URL: storeUrl, JOBS_DB: tempDb() },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /SQLite/);
    assert.match(r.stderr, /ExperimentalWarning: Some other feature is an experimental feature/);
    assert.match(r.stderr, /Warning: a warning of our own/);
    // The control: where Node warns about SQLite at all (22), loading it plainly does.
    const plain = spawnSync(process.execPath, ['-e', "require('node:sqlite')"], { encoding: 'utf8' });
    if (Number(process.versions.node.split('.')[0]) === 22) {
      assert.match(plain.stderr, /ExperimentalWarning: SQLite is an experimental feature/);
    }
  });
});

describe('SqliteJobStore: one owner', () => {
  test('a file held by a live process is refused, naming its pid; taken over once it dies', async () => {
    const file = tempDb();
    const { child, line } = spawnStoreScript(HOLD, file);
    await line('ready');
    await rejectsUnavailable(
      SqliteJobStore.open(file),
      file,
      'in-use',
      new RegExp(`in use by process ${child.pid} since .*; stop it or use another BULKHEAD_HOME`),
    );
    await kill(child);
    await withStore(file, async (store) => {
      assert.deepEqual(await store.pending(), []);
    });
  });

  test('a stale owner (its pid dead) is taken over', async () => {
    const file = tempDb();
    await withStore(file, async () => {});
    const pid = await deadPid();
    const db = raw(file);
    db.prepare('INSERT INTO owner (id, pid, hostname, started_at) VALUES (1, ?, ?, ?)').run(
      pid,
      hostname(),
      Date.now(),
    );
    db.close();
    await withStore(file, async () => {
      const check = raw(file);
      assert.equal((check.prepare('SELECT pid FROM owner').get() as { pid: number }).pid, process.pid);
      check.close();
    });
  });

  test('a live pid that is not the owner (reused after a restart, or another host) is taken over', async (t) => {
    if (process.platform !== 'linux') return t.skip('process identity is read from /proc');
    const file = tempDb();
    await withStore(file, async () => {});
    const { child, line } = spawnStoreScript('console.log("ready"); setInterval(() => {}, 1000);', file);
    await line('ready');
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const procStart = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const setOwner = (owner: { hostname: string; boot_id: string | null; proc_start: string | null }) => {
      const db = raw(file);
      db.prepare(
        `INSERT OR REPLACE INTO owner (id, pid, hostname, started_at, boot_id, proc_start)
         VALUES (1, @pid, @hostname, 0, @boot_id, @proc_start)`,
      ).run({ pid: child.pid!, ...owner });
      db.close();
    };
    // Control: the row matches the live child exactly, so the file is in use.
    setOwner({ hostname: hostname(), boot_id: bootId, proc_start: procStart ?? null });
    await rejectsUnavailable(SqliteJobStore.open(file), file, 'in-use');
    for (const owner of [
      { hostname: hostname(), boot_id: bootId, proc_start: '1' },
      { hostname: hostname(), boot_id: 'an-earlier-boot', proc_start: procStart ?? null },
      { hostname: 'another-container', boot_id: bootId, proc_start: procStart ?? null },
    ]) {
      setOwner(owner);
      await withStore(file, async () => {});
    }
    await kill(child);
  });

  test('close gives the file up; a second open in the same process is refused', async () => {
    const file = tempDb();
    const store = await SqliteJobStore.open(file);
    await rejectsUnavailable(SqliteJobStore.open(file), file, 'in-use', /already open in this process/);
    await store.close();
    const db = raw(file);
    assert.deepEqual({ ...db.prepare('SELECT count(*) AS n FROM owner').get() }, { n: 0 });
    db.close();
    await withStore(file, async () => {});
  });

  test('a database locked by another connection for longer than busyTimeoutMs', async () => {
    const file = tempDb();
    await withStore(file, async () => {});
    const db = raw(file);
    db.exec('BEGIN EXCLUSIVE');
    try {
      await rejectsUnavailable(SqliteJobStore.open(file, { busyTimeoutMs: 100 }), file, 'locked', /locked/);
    } finally {
      db.exec('ROLLBACK');
    }
    // And a lock taken while the store is open.
    await withStore(
      file,
      async (store) => {
        await store.insert([newJob('a')]);
        db.exec('BEGIN EXCLUSIVE');
        try {
          await rejectsUnavailable(store.insert([newJob('b')]), file, 'locked');
          assert.equal((await store.get('a'))?.id, 'a', 'reads still work in WAL mode');
        } finally {
          db.exec('ROLLBACK');
        }
        await store.insert([newJob('b')]);
      },
      { busyTimeoutMs: 50 },
    );
    db.close();
  });
});

describe('SqliteJobStore: details beyond the contract', () => {
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
