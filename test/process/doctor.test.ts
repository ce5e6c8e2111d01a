import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { BulkheadError } from '@bulkhead/sdk';
import { sourceFixture } from '../helpers.js';
import { newJob } from '../job-store-conformance.js';

// cli/ and the store are not part of the package's public entry: load the built modules beside it.
const built = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;
const { checkNodeVersion, doctorExitCode, runDoctor } = (await import(
  built('./cli/doctor.js')
)) as typeof import('../../packages/host/src/cli/doctor.js');
const { execCommandRunner } = (await import(
  built('./resources/command-runner.js')
)) as typeof import('../../packages/host/src/resources/command-runner.js');
const { GPU_QUERY_ARGS } = (await import(
  built('./resources/nvidia-smi.js')
)) as typeof import('../../packages/host/src/resources/nvidia-smi.js');
const { SqliteJobStore } = (await import(
  built('./queue/sqlite/index.js')
)) as typeof import('../../packages/host/src/queue/sqlite/index.js');
const { nodeSqlite } = (await import(
  built('./queue/sqlite/node-sqlite.js')
)) as typeof import('../../packages/host/src/queue/sqlite/node-sqlite.js');
const { DatabaseSync } = nodeSqlite();
type DatabaseSync = import('node:sqlite').DatabaseSync;
type DoctorCheck = import('../../packages/host/src/cli/doctor.js').DoctorCheck;
type DoctorOptions = import('../../packages/host/src/cli/doctor.js').DoctorOptions;
type CommandRunner = import('../../packages/host/src/resources/command-runner.js').CommandRunner;

const IDS = ['node', 'npm', 'home', 'config', 'sqlite', 'plugins', 'gpu', 'limits', 'redis', 'control'];

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-doctor-'));
  dirs.push(dir);
  return dir;
}

const enoent = (file: string) => Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT' });

/**
 * A runner that answers `npm --version` and reports no nvidia-smi, runs anything else for real
 * (pinned Node binaries), and records every call; `answers` replace it per command.
 */
function fakeRunner(answers: Record<string, CommandRunner> = {}): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const defaults: Record<string, CommandRunner> = {
    npm: async () => ({ stdout: '10.9.0\n', stderr: '', exitCode: 0 }),
    'nvidia-smi': async () => Promise.reject(enoent('nvidia-smi')),
  };
  const run: CommandRunner = (file, args, options) => {
    calls.push(file);
    return (answers[file] ?? defaults[file] ?? execCommandRunner)(file, args, options);
  };
  return Object.assign(run, { calls });
}

/** runDoctor with a clean env and a fake runner, checking what every result must look like. */
async function doctor(home: string, options: Partial<DoctorOptions> = {}): Promise<DoctorCheck[]> {
  const checks = await runDoctor({ home, env: {}, runCommand: fakeRunner(), timeoutMs: 3000, ...options });
  for (const c of checks) {
    assert.ok(!/[\r\n]/.test(c.detail), `${c.id}: detail is one line: ${c.detail}`);
    assert.notEqual(c.detail.trim(), '', `${c.id}: has a detail`);
    if (c.status === 'warn' || c.status === 'fail') assert.ok(c.fix, `${c.id} (${c.status}) says what to do`);
    if (c.fix !== undefined) assert.ok(!/[\r\n]/.test(c.fix), `${c.id}: fix is one line: ${c.fix}`);
  }
  assert.deepEqual(
    checks.filter((c) => !c.id.startsWith('plugin-')).map((c) => c.id),
    IDS,
  );
  return checks;
}

function check(checks: DoctorCheck[], id: string): DoctorCheck {
  const found = checks.find((c) => c.id === id);
  assert.ok(found, `no check ${id} in ${checks.map((c) => c.id).join(', ')}`);
  return found;
}

/** A home holding a real job database with 1 pending, 1 running and 1 completed job. */
async function homeWithJobs(): Promise<string> {
  const home = tempDir();
  const store = await SqliteJobStore.open(join(home, 'jobs.db'));
  try {
    await store.insert([newJob('a'), newJob('b'), newJob('c')]);
    await store.update('b', { status: 'running', startedAt: Date.now() });
    await store.update('c', { status: 'completed', finishedAt: Date.now() });
  } finally {
    await store.close();
  }
  return home;
}

/** Runs `fn` on a raw connection to `file`. */
function withRawDb<T>(file: string, fn: (db: DatabaseSync) => T, options?: { readOnly?: boolean }): T {
  const db = new DatabaseSync(file, options ?? {});
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function writeManifest(
  home: string,
  dir: string,
  manifest: Record<string, unknown>,
  files: Record<string, string> = {},
) {
  const at = join(home, 'plugins', dir);
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'index.js'), 'export default {};\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(at, name), text, { mode: 0o755 });
  writeFileSync(join(at, 'bulkhead-plugin.json'), JSON.stringify(manifest));
  return join(at, 'bulkhead-plugin.json');
}

const manifest = (name: string, extra: Record<string, unknown> = {}) => ({
  manifestVersion: 1,
  name,
  version: '1.0.0',
  entry: 'index.js',
  ...extra,
});

describe('runDoctor: home, node, npm', () => {
  test('a healthy home: every check ok or skipped, in a fixed order, and nothing left behind', async () => {
    const home = await homeWithJobs();
    writeManifest(home, 'echo', manifest('echo'));
    const before = readdirSync(home).sort();
    const checks = await doctor(home);

    assert.equal(check(checks, 'node').status, checkNodeVersion(process.versions.node).status);
    assert.deepEqual(check(checks, 'npm'), { id: 'npm', title: 'npm', status: 'ok', detail: 'npm 10.9.0' });
    assert.equal(check(checks, 'home').status, 'ok');
    assert.match(check(checks, 'home').detail, /is a writable directory, [\d.]+ [KMG]iB free$/);
    const sqlite = check(checks, 'sqlite');
    assert.equal(sqlite.status, 'ok', sqlite.detail);
    assert.match(
      sqlite.detail,
      /jobs\.db: intact, wal journal, schema 2, .*; jobs: 1 pending, 1 running, 1 completed$/,
    );
    assert.equal(check(checks, 'plugins').status, 'ok');
    assert.match(check(checks, 'plugins').detail, /^1 plugin in .*plugins$/);
    assert.deepEqual(check(checks, 'gpu'), {
      id: 'gpu',
      title: 'NVIDIA GPUs',
      status: 'skip',
      detail: 'no NVIDIA GPU driver found (GPU scheduling off)',
    });
    assert.equal(check(checks, 'redis').status, 'skip');
    assert.match(check(checks, 'redis').detail, /not configured/);
    assert.deepEqual(check(checks, 'control'), {
      id: 'control',
      title: 'Job database owner',
      status: 'ok',
      detail: 'no Bulkhead host owns the job database',
    });
    assert.equal(doctorExitCode(checks), 0);
    // The writability probe is removed; opening read-only may add SQLite's -wal/-shm files only.
    const now = readdirSync(home).filter((f) => !/^jobs\.db-(wal|shm)$/.test(f));
    assert.deepEqual(now.sort(), before);
  });

  test('a home that does not exist yet is fine and is not created', async () => {
    const home = join(tempDir(), 'not', 'yet');
    const checks = await doctor(home);
    assert.equal(check(checks, 'home').status, 'ok');
    assert.match(check(checks, 'home').detail, /does not exist yet; it will be created on first use/);
    assert.equal(check(checks, 'sqlite').status, 'ok');
    assert.match(check(checks, 'sqlite').detail, /will be created on first use \(node:sqlite \d+\.\d+\.\d+\)/);
    assert.equal(check(checks, 'control').status, 'ok');
    assert.match(check(checks, 'plugins').detail, /^no plugins installed/);
    assert.equal(doctorExitCode(checks), 0);
    assert.equal(existsSync(home), false);
  });

  test('config: the host settings as commands will read them; a broken config.yaml fails at its line', async () => {
    const home = tempDir();
    assert.match(check(await doctor(home), 'config').detail, /config\.yaml \(absent: defaults\); all defaults/);
    writeFileSync(join(home, 'config.yaml'), 'scheduler:\n  policy: safety\n');
    const set = check(await doctor(home, { env: { BULKHEAD_CANCEL_TIMEOUT: '2s' } }), 'config');
    assert.equal(set.status, 'ok');
    assert.match(set.detail, /set: scheduler\.policy \(file\), cancelTimeout \(env\)/);
    writeFileSync(join(home, 'config.yaml'), 'scheduler:\n  policy: sometimes\nconcurrency: 0\n');
    const broken = await doctor(home);
    assert.equal(check(broken, 'config').status, 'fail');
    assert.match(
      check(broken, 'config').detail,
      /config\.yaml:2:11: scheduler\.policy must be one of .* \(and 1 more\)$/,
    );
    assert.equal(doctorExitCode(broken), 1);
  });

  test('a home that is a file fails', async () => {
    const home = join(tempDir(), 'home');
    writeFileSync(home, 'not a directory');
    const checks = await doctor(home);
    const h = check(checks, 'home');
    assert.equal(h.status, 'fail');
    assert.equal(h.detail, `${home} is not a directory`);
    assert.match(h.fix!, /BULKHEAD_HOME/);
    assert.equal(check(checks, 'sqlite').status, 'skip');
    assert.equal(doctorExitCode(checks), 1);
  });

  test('a home under a file cannot be created: fails', async () => {
    const file = join(tempDir(), 'file');
    writeFileSync(file, '');
    const checks = await doctor(join(file, 'home'));
    assert.equal(check(checks, 'home').status, 'fail');
    assert.match(check(checks, 'home').detail, /cannot be created: .*file is a file/);
  });

  test('a home that is not writable fails', async (t) => {
    const home = join(tempDir(), 'home');
    mkdirSync(home);
    chmodSync(home, 0o500);
    t.after(() => chmodSync(home, 0o700));
    try {
      writeFileSync(join(home, 'probe'), '');
      rmSync(join(home, 'probe'));
      t.skip('this process can write to a 0500 directory (root or CAP_DAC_OVERRIDE), so the case cannot be set up');
      return;
    } catch {
      // Writes are refused, as they should be.
    }
    const h = check(await doctor(home), 'home');
    assert.equal(h.status, 'fail');
    assert.match(h.detail, /is not writable \((EACCES|EPERM)\)$/);
    assert.match(h.fix!, /chmod u\+w/);
  });

  test('node: fail below 22.13, warn on end-of-life lines, ok on 22.13+ and 24', () => {
    const cases: [string, DoctorCheck['status']][] = [
      ['18.19.0', 'fail'],
      ['v20.20.2', 'fail'],
      ['21.7.3', 'fail'],
      ['22.12.0', 'fail'],
      ['22.13.0', 'ok'],
      ['v22.23.3', 'ok'],
      ['23.11.0', 'warn'],
      ['v24.1.0', 'ok'],
      ['25.2.0', 'warn'],
      ['26.0.0', 'ok'],
    ];
    for (const [version, status] of cases) assert.equal(checkNodeVersion(version).status, status, version);
    const old = checkNodeVersion('20.19.0');
    assert.equal(old.detail, 'Node 20.19.0 is older than 22.13, the oldest Bulkhead runs on');
    assert.match(old.fix!, /Node 24 LTS/);
    const eol = checkNodeVersion('23.11.0');
    assert.match(eol.detail, /Node 23\.11\.0: Node 23 reached end of life on 2025-06-01/);
    assert.equal(checkNodeVersion('24.1.0').fix, undefined);
  });

  test('npm: missing or broken fails with a fix', async () => {
    const home = tempDir();
    const missing = fakeRunner({ npm: async () => Promise.reject(enoent('npm')) });
    const m = check(await doctor(home, { runCommand: missing }), 'npm');
    assert.equal(m.status, 'fail');
    assert.equal(m.detail, 'npm was not found on PATH');
    assert.match(m.fix!, /install npm/);

    const broken = fakeRunner({
      npm: async () => ({ stdout: '', stderr: 'npm ERR! cb() never called\n', exitCode: 1 }),
    });
    const b = check(await doctor(home, { runCommand: broken }), 'npm');
    assert.equal(b.status, 'fail');
    assert.equal(b.detail, 'npm --version exited with code 1: npm ERR! cb() never called');
  });

  test('never hangs: a runner that never answers is cut off by the check timeout', async () => {
    const stuck = fakeRunner({ npm: () => new Promise(() => {}) });
    const checks = await doctor(tempDir(), { runCommand: stuck, timeoutMs: 150 });
    assert.equal(check(checks, 'npm').status, 'fail');
    assert.match(check(checks, 'npm').detail, /did not finish within 300 ms/);
  });

  test('doctorExitCode: 1 only when a check failed', () => {
    const c = (status: DoctorCheck['status']): DoctorCheck => ({ id: status, title: status, status, detail: '.' });
    assert.equal(doctorExitCode([]), 0);
    assert.equal(doctorExitCode([c('ok'), c('warn'), c('skip')]), 0);
    assert.equal(doctorExitCode([c('ok'), c('fail')]), 1);
  });
});

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

describe('runDoctor: plugins', () => {
  test('invalid manifests warn; pinned Node binaries are run once each, and a broken one fails', async () => {
    const home = tempDir();
    writeManifest(home, 'good', manifest('good'));
    const brokenFile = writeManifest(home, 'broken', { manifestVersion: 1, name: 'broken', version: '1.0.0' });
    writeManifest(home, 'pinned-a', manifest('pinned-a', { node: process.execPath }));
    writeManifest(home, 'pinned-b', manifest('pinned-b', { node: process.execPath }));
    writeManifest(home, 'pinned-bad', manifest('pinned-bad', { node: './node' }), {
      node: '#!/bin/sh\necho "node: cannot execute binary file" >&2\nexit 126\n',
    });
    writeManifest(home, 'pinned-gone', manifest('pinned-gone', { node: './bin/node' }));
    const runner = fakeRunner();
    const checks = await doctor(home, { runCommand: runner });

    assert.match(check(checks, 'plugins').detail, /^4 plugins in .*plugins \(2 invalid\)$/);
    const broken = check(checks, `plugin-manifest:${brokenFile}`);
    assert.equal(broken.status, 'warn');
    assert.match(broken.detail, /broken.*bulkhead-plugin\.json: .*entry/);
    assert.equal(broken.fix, 'correct the manifest, or reinstall: bulkhead install --force broken');

    for (const name of ['pinned-a', 'pinned-b']) {
      const c = check(checks, `plugin-node:${name}`);
      assert.equal(c.status, 'ok');
      assert.equal(c.detail, `${process.execPath} runs Node ${process.version}`);
    }
    assert.equal(runner.calls.filter((f) => f === process.execPath).length, 1);

    const bad = check(checks, 'plugin-node:pinned-bad');
    assert.equal(bad.status, 'fail');
    assert.match(bad.detail, /node --version exited with code 126: node: cannot execute binary file$/);
    assert.equal(bad.fix, 'bulkhead install --force pinned-bad');

    const gone = check(checks, 'plugin-node:pinned-gone');
    assert.equal(gone.status, 'fail');
    assert.match(gone.detail, /node binary \.\/bin\/node does not exist/);
    assert.equal(gone.fix, 'bulkhead install --force pinned-gone');
    assert.equal(doctorExitCode(checks), 1);
  });

  test('BULKHEAD_PLUGIN_PATH is searched as well as the home', async () => {
    const home = tempDir();
    const extra = tempDir();
    mkdirSync(join(extra, 'dev'));
    writeFileSync(join(extra, 'dev', 'index.js'), '');
    writeFileSync(join(extra, 'dev', 'bulkhead-plugin.json'), JSON.stringify(manifest('dev')));
    const p = check(await doctor(home, { env: { BULKHEAD_PLUGIN_PATH: extra } }), 'plugins');
    assert.equal(p.detail, `1 plugin in ${extra}, ${join(home, 'plugins')}`);
  });
});

describe('runDoctor: gpu', () => {
  const fixture = (name: string) => readFileSync(sourceFixture('nvidia-smi', name), 'utf8');

  test('GPUs are listed from nvidia-smi (a real H100 capture)', async () => {
    const runner = fakeRunner({
      'nvidia-smi': async (_file, args) => {
        assert.deepEqual(args, GPU_QUERY_ARGS);
        return { stdout: fixture('query-gpu.csv'), stderr: '', exitCode: 0 };
      },
    });
    assert.deepEqual(check(await doctor(tempDir(), { runCommand: runner }), 'gpu'), {
      id: 'gpu',
      title: 'NVIDIA GPUs',
      status: 'ok',
      detail: '1 GPU: 0: NVIDIA H100 80GB HBM3, 81559 MiB (81079 MiB free)',
    });
  });

  test('no nvidia-smi, or no driver behind it: skipped', async () => {
    const noDriver = async () => ({
      stdout:
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n",
      stderr: '',
      exitCode: 9,
    });
    for (const runner of [fakeRunner(), fakeRunner({ 'nvidia-smi': noDriver })]) {
      const g = check(await doctor(tempDir(), { runCommand: runner }), 'gpu');
      assert.equal(g.status, 'skip');
      assert.equal(g.detail, 'no NVIDIA GPU driver found (GPU scheduling off)');
    }
  });

  test('a failing nvidia-smi warns with the first line of what it printed', async () => {
    const mismatch = 'Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 580.159\n';
    for (const [stdout, stderr] of [
      ['', mismatch],
      [mismatch, ''],
    ]) {
      const runner = fakeRunner({ 'nvidia-smi': async () => ({ stdout: stdout!, stderr: stderr!, exitCode: 18 }) });
      const checks = await doctor(tempDir(), { runCommand: runner });
      const g = check(checks, 'gpu');
      assert.equal(g.status, 'warn');
      assert.equal(
        g.detail,
        'nvidia-smi exited with code 18: Failed to initialize NVML: Driver/library version mismatch',
      );
      assert.match(g.fix!, /NVIDIA driver/);
      assert.equal(doctorExitCode(checks), 0);
    }
  });

  test('a hanging nvidia-smi warns', async () => {
    const runner = fakeRunner({
      'nvidia-smi': async (file, _args, options) =>
        Promise.reject(
          new BulkheadError('ERR_TIMEOUT', `${file} did not finish`, { timeoutMs: options!.timeoutMs!, forced: true }),
        ),
    });
    const g = check(await doctor(tempDir(), { runCommand: runner, timeoutMs: 1234 }), 'gpu');
    assert.equal(g.status, 'warn');
    assert.equal(g.detail, 'nvidia-smi did not answer within 1234 ms');
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
