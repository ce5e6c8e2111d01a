import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import {
  built,
  check,
  type DoctorCheck,
  doctor,
  doctorExitCode,
  homeWithJobs,
  SqliteJobStore,
  tempDir,
  withRawDb,
} from '../doctor-helpers.js';

describe('runDoctor: job database and its owner', () => {
  test('a file that is not a database fails with a fix that moves it aside', async () => {
    const home = tempDir();
    const file = join(home, 'jobs.db');
    writeFileSync(file, 'this is not a SQLite database\n'.repeat(200));
    const checks = await doctor(home);
    const s = check(checks, 'sqlite');
    assert.equal(s.status, 'fail');
    assert.match(s.detail, /is not a usable SQLite database \(file is not a database\)/);
    assert.equal(
      s.fix,
      `save what it still holds (bulkhead jobs recover), then move it aside (mv ${file} ${file}.broken); the next start begins with an empty queue`,
    );
    assert.equal(check(checks, 'control').status, 'skip');
    assert.equal(doctorExitCode(checks), 1);
  });

  test('a Node without node:sqlite fails the sqlite check with the upgrade, in one line', async () => {
    // A fresh process whose Node lacks the module, as Node 20 does (getBuiltinModule answers undefined).
    const script = `
      process.getBuiltinModule = () => undefined;
      const { runDoctor } = await import(process.env.DOCTOR_URL);
      const run = async () => ({ stdout: '', stderr: '', exitCode: 0 });
      const checks = await runDoctor({ home: process.env.HOME_DIR, env: {}, runCommand: run });
      console.log(JSON.stringify(checks.filter((c) => c.id === 'sqlite' || c.id === 'control')));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, DOCTOR_URL: built('./cli/doctor.js'), HOME_DIR: tempDir() },
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    const [sqlite, control] = JSON.parse(child.stdout) as DoctorCheck[];
    assert.equal(sqlite!.status, 'fail');
    assert.match(sqlite!.detail, /^the job store needs node:sqlite, built into Node\.js 22\.13 and later/);
    assert.doesNotMatch(sqlite!.detail, /\n/);
    assert.match(sqlite!.fix!, /Node 24 LTS/);
    assert.equal(control!.status, 'skip');
  });

  test('a SQLite database that is not a job database fails', async () => {
    const home = tempDir();
    withRawDb(join(home, 'jobs.db'), (db) => db.exec('CREATE TABLE notes (text TEXT)'));
    const s = check(await doctor(home), 'sqlite');
    assert.equal(s.status, 'fail');
    assert.match(s.detail, /is a SQLite database but not a Bulkhead job database/);
  });

  test('a live host holding the database is reported, and the database is read beside it', async (t) => {
    const home = await homeWithJobs();
    const script = `
      const { SqliteJobStore } = await import(process.env.STORE_URL);
      const store = await SqliteJobStore.open(process.env.JOBS_DB);
      console.log('ready');
      process.stdin.on('end', async () => { await store.close(); console.log('closed'); });
      process.stdin.resume();`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, STORE_URL: built('./queue/sqlite/index.js'), JOBS_DB: join(home, 'jobs.db') },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    t.after(() => child.kill('SIGKILL'));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    assert.equal((await lines.next()).value, 'ready');

    const checks = await doctor(home);
    assert.deepEqual(check(checks, 'control').status, 'ok');
    assert.match(
      check(checks, 'control').detail,
      new RegExp(`^owned by a running Bulkhead host \\(pid ${child.pid}\\) since `),
    );
    assert.equal(check(checks, 'sqlite').status, 'ok');
    assert.match(check(checks, 'sqlite').detail, /jobs: 1 pending, 1 running, 1 completed$/);

    // Doctor took nothing from it: the host still owns the file and closes it cleanly.
    child.stdin!.end();
    assert.equal((await lines.next()).value, 'closed');
    await once(child, 'exit');
  });

  test('an owner row left by a dead process warns, and doctor leaves the row alone', async () => {
    const home = await homeWithJobs();
    const file = join(home, 'jobs.db');
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    const since = Date.UTC(2030, 0, 2, 3, 4, 5);
    withRawDb(file, (db) =>
      db
        .prepare(
          'INSERT INTO owner (id, pid, hostname, started_at, boot_id, proc_start) VALUES (1, ?, ?, ?, NULL, NULL)',
        )
        .run(deadPid, hostname(), since),
    );
    const checks = await doctor(home);
    const c = check(checks, 'control');
    assert.equal(c.status, 'warn');
    assert.equal(
      c.detail,
      `stale owner row: pid ${deadPid} (owner since 2030-01-02T03:04:05.000Z) is not running; it will be taken over`,
    );
    assert.equal(doctorExitCode(checks), 0);
    const row = withRawDb(file, (db) => db.prepare('SELECT pid, started_at FROM owner').all(), { readOnly: true }).map(
      (r) => ({ ...r }),
    );
    assert.deepEqual(row, [{ pid: deadPid, started_at: since }]);
  });

  test('a reused pid does not pass for the owner: doctor calls the row stale, and the store takes it over', async (t) => {
    if (!existsSync(`/proc/${process.ppid}/stat`)) return t.skip('needs /proc to read process start times');
    const home = await homeWithJobs();
    const file = join(home, 'jobs.db');
    // A live process (our parent), but not the one that wrote the row: its start time differs.
    withRawDb(file, (db) =>
      db
        .prepare(
          "INSERT INTO owner (id, pid, hostname, started_at, boot_id, proc_start) VALUES (1, ?, ?, 0, NULL, '1')",
        )
        .run(process.ppid, hostname()),
    );
    const c = check(await doctor(home), 'control');
    assert.equal(c.status, 'warn');
    assert.match(c.detail, new RegExp(`^stale owner row: pid ${process.ppid} `));
    const store = await SqliteJobStore.open(file);
    await store.close();
  });

  test('an owner on another machine is reported, not judged', async () => {
    const home = await homeWithJobs();
    withRawDb(join(home, 'jobs.db'), (db) =>
      db.prepare("INSERT INTO owner (id, pid, hostname, started_at) VALUES (1, 4242, 'elsewhere', 0)").run(),
    );
    const c = check(await doctor(home), 'control');
    assert.equal(c.status, 'ok');
    assert.equal(c.detail, 'owned by pid 4242 on elsewhere since 1970-01-01T00:00:00.000Z (not checked)');
  });
});

/**
 * A few lines of Redis: replies to PING (and AUTH, when `password` is set) in inline or RESP form,
 * and records the commands it got. `silent` accepts connections and never answers.
 */
async function fakeRedis(
  options: { password?: string; user?: string; silent?: boolean; version?: string; policy?: string } = {},
) {
  const commands: string[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (options.silent) return;
    let authed = options.password === undefined;
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      for (let command = takeCommand(); command !== undefined; command = takeCommand()) {
        commands.push(command);
        const [name, ...args] = command;
        if (name?.toUpperCase() === 'AUTH') {
          const [user, password] = args.length === 2 ? args : ['default', args[0]];
          authed = password === options.password && user === (options.user ?? 'default');
          socket.write(authed ? '+OK\r\n' : '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
        } else if (name?.toUpperCase() === 'PING') {
          socket.write(authed ? '+PONG\r\n' : '-NOAUTH Authentication required.\r\n');
        } else if (name?.toUpperCase() === 'INFO' && authed) {
          const info = `# Server\r\nredis_version:${options.version ?? '7.2.4'}\r\n# Memory\r\nmaxmemory_policy:${options.policy ?? 'noeviction'}\r\n`;
          socket.write(`$${Buffer.byteLength(info)}\r\n${info}\r\n`);
        } else {
          socket.write(`-ERR unknown command '${name}'\r\n`);
        }
      }
    });
    function takeCommand(): string[] | undefined {
      if (buffered.startsWith('*')) {
        const parts = buffered.split('\r\n');
        const n = Number(parts[0]!.slice(1));
        if (parts.length < 2 + 2 * n) return undefined;
        const args = Array.from({ length: n }, (_, i) => parts[2 + 2 * i]!);
        buffered = parts.slice(1 + 2 * n).join('\r\n');
        return args;
      }
      const end = buffered.indexOf('\r\n');
      if (end === -1) return undefined;
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      return line.split(' ');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    port,
    commands,
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('runDoctor: redis', () => {
  const redis = async (url: string, timeoutMs = 3000) =>
    check(await doctor(tempDir(), { env: { BULKHEAD_REDIS_URL: url }, timeoutMs }), 'redis');

  test('PONG from a server that speaks Redis', async (t) => {
    const server = await fakeRedis();
    t.after(() => server.close());
    const r = await redis(`redis://127.0.0.1:${server.port}`);
    assert.equal(r.status, 'ok');
    assert.match(
      r.detail,
      new RegExp(`^Redis 7\\.2\\.4 at 127\\.0\\.0\\.1:${server.port}, PONG in \\d+ ms, maxmemory-policy noeviction$`),
    );
    assert.deepEqual(server.commands, [['PING'], ['INFO']]);
  });

  test('a Redis older than BullMQ needs fails; an evicting maxmemory-policy warns', async (t) => {
    const old = await fakeRedis({ version: '5.0.14' });
    t.after(() => old.close());
    const r = await redis(`redis://127.0.0.1:${old.port}`);
    assert.equal(r.status, 'fail');
    assert.match(r.detail, /Redis 5\.0\.14 .* older than 6\.2/);
    const lru = await fakeRedis({ policy: 'allkeys-lru' });
    t.after(() => lru.close());
    const w = await redis(`redis://127.0.0.1:${lru.port}`);
    assert.equal(w.status, 'warn');
    assert.match(w.detail, /maxmemory-policy is allkeys-lru/);
    assert.match(w.fix ?? '', /noeviction/);
  });

  test('AUTH goes first when the URL has a password (spaces and a user included)', async (t) => {
    const server = await fakeRedis({ password: 's3cret word' });
    t.after(() => server.close());
    const r = await redis(`redis://:s3cret%20word@127.0.0.1:${server.port}/2`);
    assert.equal(r.status, 'ok');
    assert.deepEqual(server.commands, [['AUTH', 's3cret word'], ['PING'], ['INFO']]);
    assert.ok(!r.detail.includes('s3cret'), 'the password never shows');

    const withUser = await fakeRedis({ user: 'bulk', password: 'pw' });
    t.after(() => withUser.close());
    assert.equal((await redis(`redis://bulk:pw@127.0.0.1:${withUser.port}`)).status, 'ok');
    assert.deepEqual(withUser.commands, [['AUTH', 'bulk', 'pw'], ['PING'], ['INFO']]);
  });

  test('a wrong or missing password fails with a fix', async (t) => {
    const server = await fakeRedis({ password: 'right' });
    t.after(() => server.close());
    const wrong = await redis(`redis://:wrong@127.0.0.1:${server.port}`);
    assert.equal(wrong.status, 'fail');
    assert.match(wrong.detail, /refused the credentials \(WRONGPASS/);
    assert.ok(!wrong.detail.includes('wrong@'));
    const none = await redis(`redis://127.0.0.1:${server.port}`);
    assert.equal(none.status, 'fail');
    assert.match(none.detail, /requires a password \(NOAUTH Authentication required\.\)/);
    assert.match(none.fix!, /redis:\/\/:PASSWORD@/);
  });

  test('a closed port fails', async () => {
    const server = await fakeRedis();
    const { port } = server;
    await server.close();
    const r = await redis(`redis://127.0.0.1:${port}`);
    assert.equal(r.status, 'fail');
    assert.equal(r.detail, `connection to 127.0.0.1:${port} refused`);
    assert.match(r.fix!, /start Redis at 127\.0\.0\.1:\d+, or correct BULKHEAD_REDIS_URL/);
  });

  test('a server that never answers fails at the timeout', async (t) => {
    const server = await fakeRedis({ silent: true });
    t.after(() => server.close());
    const started = Date.now();
    const r = await redis(`redis://127.0.0.1:${server.port}`, 200);
    assert.ok(Date.now() - started < 2000);
    assert.equal(r.status, 'fail');
    assert.equal(r.detail, `no answer from 127.0.0.1:${server.port} within 200 ms`);
  });

  test('a URL that is not redis:// fails', async () => {
    const r = await redis('http://localhost:6379');
    assert.equal(r.status, 'fail');
    assert.match(r.fix!, /redis:\/\//);
  });
});
