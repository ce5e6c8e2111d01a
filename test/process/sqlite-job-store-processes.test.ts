import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { newJob } from '../job-store-conformance.js';

import {
  deadPid,
  HOLD,
  kill,
  raw,
  rejectsUnavailable,
  SqliteJobStore,
  spawnStoreScript,
  storeUrl,
  tempDb,
  withStore,
} from '../sqlite-store-helpers.js';

describe('SqliteJobStore: the file, written by another process', () => {
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
