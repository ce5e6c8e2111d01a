/**
 * The checks behind `bulkhead doctor`: is this machine and this Bulkhead home fit to run plugins?
 * Each check gives one {@link DoctorCheck} (the plugins check adds one per problem plugin), with a
 * one-line `detail` and, when something is wrong, a one-line `fix`; the CLI only renders them.
 *
 * Doctor only looks. It opens the job database read-only, never claims its owner row, and writes
 * nothing but a temporary file to prove the home is writable, so it is safe beside a live host.
 * Every check runs under a timeout, so a hung driver or network never hangs doctor.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { access, constants, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { isBulkheadError } from '@bulkhead/sdk/errors';
import type Database from 'better-sqlite3';
import { discover, searchPaths } from '../manifest/discover.js';
import { pinHandles } from '../queue/sqlite/pin-handles.js';
import { hasTables, SCHEMA_VERSION, schemaVersion } from '../queue/sqlite/schema.js';
import { type CommandRunner, execCommandRunner } from '../resources/command-runner.js';
import { queryGpus } from '../resources/nvidia-smi.js';

/** The outcome of one check. */
export interface DoctorCheck {
  /**
   * Stable: `node`, `npm`, `home`, `sqlite`, `plugins`, `gpu`, `redis`, `control`; and per plugin,
   * `plugin-manifest:<manifest path>` (an invalid manifest) and `plugin-node:<name>` (its pinned Node).
   */
  id: string;
  title: string;
  /** `skip`: does not apply here (no GPU driver, Redis not configured); not a problem. */
  status: 'ok' | 'warn' | 'fail' | 'skip';
  /** One plain line. */
  detail: string;
  /** What to do, one line, when not ok. */
  fix?: string;
}

export interface DoctorOptions {
  /** The Bulkhead home to check (see `bulkheadHome()`). */
  home: string;
  /** Default `process.env`. Read for `BULKHEAD_PLUGIN_PATH` and `BULKHEAD_REDIS_URL`. */
  env?: NodeJS.ProcessEnv;
  /** Runs `npm`, `nvidia-smi` and pinned Node binaries. Default {@link execCommandRunner}. */
  runCommand?: CommandRunner;
  /** Per check: a command, connection or lock wait gives up after this. Default 5 s. */
  timeoutMs?: number;
}

/** Used when the caller gives no `timeoutMs`. */
export const DEFAULT_DOCTOR_TIMEOUT_MS = 5000;

/** Below this much free space in the home, `home` warns: results and logs are written there. */
export const LOW_DISK_BYTES = 1024 ** 3;

type Outcome = Pick<DoctorCheck, 'status' | 'detail' | 'fix'>;

const ok = (detail: string): Outcome => ({ status: 'ok', detail });
const skip = (detail: string): Outcome => ({ status: 'skip', detail });
const warn = (detail: string, fix: string): Outcome => ({ status: 'warn', detail, fix });
const fail = (detail: string, fix: string): Outcome => ({ status: 'fail', detail, fix });

interface Context {
  home: string;
  env: NodeJS.ProcessEnv;
  run: CommandRunner;
  timeoutMs: number;
}

/**
 * Runs every check, independent ones concurrently, and resolves with all results in a fixed order.
 * Never rejects: a check that throws or overruns becomes a `fail`.
 *
 * @example
 * const checks = await runDoctor({ home: bulkheadHome() });
 * for (const c of checks) console.log(`${c.status.padEnd(4)} ${c.title}: ${c.detail}`);
 * process.exitCode = doctorExitCode(checks);
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const ctx: Context = {
    home: resolve(options.home),
    env: options.env ?? process.env,
    run: options.runCommand ?? execCommandRunner,
    timeoutMs: options.timeoutMs ?? DEFAULT_DOCTOR_TIMEOUT_MS,
  };
  // One read-only look serves both `sqlite` and `control`.
  const database = inspectDatabase(ctx);
  const results = await Promise.all([
    guard('node', 'Node.js', ctx, async () => checkNodeVersion(process.versions.node)),
    guard('npm', 'npm', ctx, () => checkNpm(ctx)),
    guard('home', 'Bulkhead home', ctx, () => checkHome(ctx.home)),
    guard('sqlite', 'Job database', ctx, async () => (await database).sqlite),
    guard('plugins', 'Plugins', ctx, () => checkPlugins(ctx)),
    guard('gpu', 'NVIDIA GPUs', ctx, () => checkGpu(ctx)),
    guard('redis', 'Redis', ctx, () => checkRedis(ctx)),
    guard('control', 'Job database owner', ctx, async () => (await database).control),
  ]);
  return results.flat();
}

/**
 * 1 if any check failed, else 0: warnings and skips do not fail `bulkhead doctor`.
 *
 * @example
 * process.exitCode = doctorExitCode(await runDoctor({ home }));
 */
export function doctorExitCode(checks: readonly DoctorCheck[]): 0 | 1 {
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}

/**
 * The `node` check for one Node version (`process.versions.node`, or `v24.1.0` as `node --version` prints it).
 *
 * @example
 * checkNodeVersion('20.19.0').status // 'warn': Node 20 is past end of life
 */
export function checkNodeVersion(version: string): DoctorCheck {
  const check = (o: Outcome): DoctorCheck => ({ id: 'node', title: 'Node.js', ...o });
  const upgrade = 'install Node 24 LTS (https://nodejs.org) and run Bulkhead with it';
  const m = /^v?(\d+)\.(\d+)\.\d+/.exec(version.trim());
  if (m === null) return check(warn(`unrecognised Node version "${version}"`, upgrade));
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const v = `Node ${m[0].replace(/^v/, '')}`;
  if (major < 20 || (major === 20 && minor < 12)) {
    return check(fail(`${v} is older than 20.12, the oldest Bulkhead runs on`, upgrade));
  }
  const endOfLife = END_OF_LIFE[major];
  if (endOfLife !== undefined) return check(warn(`${v}: Node ${major} reached end of life on ${endOfLife}`, upgrade));
  return check(ok(v));
}

/** Release lines that Bulkhead still runs on but that no longer get security fixes. */
const END_OF_LIFE: Partial<Record<number, string>> = { 20: '2026-04-30', 21: '2024-06-01', 23: '2025-06-01' };

/**
 * Runs one check under a deadline and turns whatever goes wrong into a `fail`. The checks' own
 * timeouts (commands, sockets, SQLite's busy wait) are `timeoutMs` and say what was slow; this one,
 * twice that, is the backstop for what has none: a hung network filesystem, a runner that ignores
 * its timeout.
 */
async function guard(
  id: string,
  title: string,
  ctx: Context,
  fn: () => Promise<Outcome | DoctorCheck[]>,
): Promise<DoctorCheck[]> {
  const limitMs = 2 * ctx.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<Outcome>((done) => {
    const fix = 'find what blocks it (a hung network filesystem or driver), or rerun with a longer timeout';
    timer = setTimeout(() => done(fail(`the check did not finish within ${limitMs} ms`, fix)), limitMs);
  });
  try {
    const outcome = await Promise.race([fn(), overrun]);
    return Array.isArray(outcome) ? outcome : [{ id, title, ...outcome }];
  } catch (e) {
    const fix = 'this is a bug in bulkhead doctor: please report it with this line';
    return [{ id, title, ...fail(`the check itself failed: ${firstLine(e)}`, fix) }];
  } finally {
    clearTimeout(timer);
  }
}

async function checkNpm(ctx: Context): Promise<Outcome> {
  const fix = 'install npm (it ships with Node.js) and put it on PATH: bulkhead install runs it';
  try {
    const { stdout, stderr, exitCode } = await ctx.run('npm', ['--version'], { timeoutMs: ctx.timeoutMs });
    if (exitCode === 0) return ok(`npm ${stdout.trim()}`);
    return fail(`npm --version exited with code ${exitCode}: ${firstLine(stderr || stdout)}`, fix);
  } catch (e) {
    return fail(errorCode(e) === 'ENOENT' ? 'npm was not found on PATH' : `npm --version: ${firstLine(e)}`, fix);
  }
}

// ---- home --------------------------------------------------------------------------------------

const ELSEWHERE = 'or set BULKHEAD_HOME to another directory';

async function checkHome(home: string): Promise<Outcome> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(home);
  } catch (e) {
    const code = errorCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return checkCreatable(home);
    return fail(`${home} cannot be read (${code ?? firstLine(e)})`, `check its permissions, ${ELSEWHERE}`);
  }
  if (!info.isDirectory()) return fail(`${home} is not a directory`, `move that file aside, ${ELSEWHERE}`);
  // access(W_OK) reads mode bits alone; only a real write sees a read-only mount, ACLs or a full disk.
  const probe = join(home, `.doctor-${process.pid}-${randomUUID().slice(0, 8)}`);
  try {
    await writeFile(probe, 'bulkhead doctor\n', { flag: 'wx' });
    await rm(probe, { force: true });
  } catch (e) {
    const why = errorCode(e) ?? firstLine(e);
    return fail(`${home} is not writable (${why})`, `make it writable (chmod u+w ${home}), ${ELSEWHERE}`);
  }
  return withFreeSpace(home, `${home} is a writable directory`);
}

/** A home that does not exist yet is fine if its nearest existing ancestor is a writable directory. */
async function checkCreatable(home: string): Promise<Outcome> {
  let parent = dirname(home);
  for (;;) {
    try {
      if ((await stat(parent)).isDirectory()) break;
      return fail(`${home} cannot be created: ${parent} is a file`, `move ${parent} aside, ${ELSEWHERE}`);
    } catch (e) {
      const code = errorCode(e);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(parent) === parent) throw e;
      parent = dirname(parent);
    }
  }
  try {
    await access(parent, constants.W_OK);
  } catch {
    return fail(`${home} cannot be created: ${parent} is not writable`, `create ${home} for this user, ${ELSEWHERE}`);
  }
  return withFreeSpace(parent, `${home} does not exist yet; it will be created on first use`);
}

async function withFreeSpace(dir: string, detail: string): Promise<Outcome> {
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free >= LOW_DISK_BYTES) return ok(`${detail}, ${formatBytes(free)} free`);
  const fix = 'free disk space there (job results and logs are stored in the home), or move BULKHEAD_HOME';
  return warn(`${detail}, but only ${formatBytes(free)} free`, fix);
}

// ---- job database: sqlite and control ----------------------------------------------------------

interface OwnerRow {
  pid: number;
  hostname: string;
  started_at: number;
  boot_id: string | null;
  proc_start: string | null;
}

interface DatabaseOutcomes {
  sqlite: Outcome;
  control: Outcome;
}

const STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;

const UNREAD = skip('the job database could not be read (see the sqlite check)');

/** The `sqlite` and `control` outcomes, from one read-only look at `<home>/jobs.db`. */
async function inspectDatabase(ctx: Context): Promise<DatabaseOutcomes> {
  const file = join(ctx.home, 'jobs.db');
  let size: number | undefined;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    const code = errorCode(e);
    if (code === 'ENOTDIR') return { sqlite: skip(`${ctx.home} is not a directory`), control: UNREAD };
    if (code !== 'ENOENT') {
      return {
        sqlite: fail(`${file} cannot be read (${code ?? firstLine(e)})`, `check the permissions of ${file}`),
        control: UNREAD,
      };
    }
  }
  let Sqlite: typeof Database;
  try {
    Sqlite = await loadSqlite();
  } catch (e) {
    return {
      sqlite: fail(sqliteLoadFailure(e), 'npm rebuild better-sqlite3'),
      control: UNREAD,
    };
  }
  if (size === undefined) {
    return {
      sqlite: ok(`${file} will be created on first use (better-sqlite3 loads)`),
      control: ok('no job database yet, so no host owns it'),
    };
  }
  let db: Database.Database | undefined;
  try {
    // The busy timeout lets doctor wait out a host's write transaction, but not a stuck lock.
    db = new Sqlite(file, { readonly: true, fileMustExist: true, timeout: ctx.timeoutMs });
    pinHandles(db);
    return readDatabase(db, file, size);
  } catch (e) {
    return { sqlite: sqliteFailure(e, file), control: UNREAD };
  } finally {
    db?.close();
  }
}

let sqliteLoaded: Promise<typeof Database> | undefined;

/** better-sqlite3 with its native addon loaded, which happens on the first open: so open one. */
function loadSqlite(): Promise<typeof Database> {
  sqliteLoaded ??= import('better-sqlite3').then(({ default: Sqlite }) => {
    const probe = new Sqlite(':memory:');
    pinHandles(probe);
    probe.close();
    return Sqlite;
  });
  return sqliteLoaded;
}

/** Why the native addon did not load, in one line: the message's first line is only its path. */
function sqliteLoadFailure(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  // The usual case: node_modules was installed under another Node, e.g. before an upgrade from 20 to 24.
  const abi = /NODE_MODULE_VERSION (\d+).*?NODE_MODULE_VERSION (\d+)/s.exec(message);
  if (abi !== null) {
    return `better-sqlite3 was built for another Node.js (module version ${abi[1]}; Node ${process.versions.node} needs ${abi[2]})`;
  }
  return `better-sqlite3 does not load: ${message.replace(/\s+/g, ' ').trim().slice(0, 300)}`;
}

function moveAside(file: string): string {
  return `move it aside (mv ${file} ${file}.broken); the next start begins with an empty queue`;
}

function readDatabase(db: Database.Database, file: string, size: number): DatabaseOutcomes {
  const integrity = db.pragma('quick_check(1)', { simple: true });
  if (integrity !== 'ok')
    return { sqlite: fail(`${file} is corrupt: ${String(integrity)}`, moveAside(file)), control: UNREAD };
  const journal = String(db.pragma('journal_mode', { simple: true }));
  const version = schemaVersion(db);
  if (version === 0) {
    if (!hasTables(db)) {
      return { sqlite: ok(`${file} is empty; it will be set up on first use`), control: ownerOutcome(undefined) };
    }
    const detail = `${file} is a SQLite database but not a Bulkhead job database`;
    return { sqlite: fail(detail, `${moveAside(file)}, or use another BULKHEAD_HOME`), control: UNREAD };
  }
  const about = `${file}: intact, ${journal} journal, schema ${version}, ${formatBytes(size)}`;
  const rows = db.prepare('SELECT status, count(*) AS n FROM jobs GROUP BY status').all() as {
    status: string;
    n: number;
  }[];
  const counts = new Map(rows.map((r) => [r.status, r.n]));
  const jobs = STATUSES.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s}`);
  const sqlite =
    version > SCHEMA_VERSION
      ? warn(
          `${about}, newer than this Bulkhead (which knows up to schema ${SCHEMA_VERSION})`,
          'upgrade Bulkhead, or give this version another BULKHEAD_HOME',
        )
      : ok(`${about}; jobs: ${jobs.length === 0 ? 'none' : jobs.join(', ')}`);
  const owner = db.prepare('SELECT pid, hostname, started_at, boot_id, proc_start FROM owner WHERE id = 1').get();
  return { sqlite, control: ownerOutcome(owner as OwnerRow | undefined) };
}

function sqliteFailure(e: unknown, file: string): Outcome {
  const code = errorCode(e);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return fail(`${file} is not a usable SQLite database (${firstLine(e)})`, moveAside(file));
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return warn(`${file} stayed locked by another connection (${firstLine(e)})`, 'rerun doctor in a moment');
  }
  const fix = `check that ${file} and its directory are readable and writable by this user`;
  return fail(`${file} cannot be opened: ${firstLine(e)}`, fix);
}

/** `control`: who holds the job database, read from the owner row (never written: see owner-lock.ts). */
function ownerOutcome(owner: OwnerRow | undefined): Outcome {
  if (owner === undefined) return ok('no Bulkhead host owns the job database');
  const { pid } = owner;
  const since = new Date(owner.started_at).toISOString();
  if (owner.hostname !== hostname()) return ok(`owned by pid ${pid} on ${owner.hostname} since ${since} (not checked)`);
  if (pid === process.pid) return ok(`owned by this process (pid ${pid}) since ${since}`);
  if (isLiveOwner(owner)) return ok(`owned by a running Bulkhead host (pid ${pid}) since ${since}`);
  return warn(
    `stale owner row: pid ${pid} (owner since ${since}) is not running; it will be taken over`,
    'nothing to do: the next Bulkhead host to start takes the database over',
  );
}

/**
 * Whether the owner row's process still runs, by the rules the store applies before taking a row
 * over (queue/sqlite/owner-lock.ts): alive, not a zombie, and, where Linux records them, the same
 * boot and process start time, so that a reused pid does not pass for the owner.
 */
function isLiveOwner(owner: OwnerRow): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    // EPERM: it exists, it belongs to another user.
    if (errorCode(e) !== 'EPERM') return false;
  }
  if (procStat(owner.pid, 3) === 'Z') return false;
  const bootId = readText('/proc/sys/kernel/random/boot_id');
  if (owner.boot_id !== null && bootId !== null && owner.boot_id !== bootId) return false;
  const start = procStat(owner.pid, 22);
  return owner.proc_start === null || start === null || owner.proc_start === start;
}

/** Field `n` (1-based, as in proc(5)) of /proc/<pid>/stat; null off Linux. */
function procStat(pid: number, n: number): string | null {
  const text = readText(`/proc/${pid}/stat`);
  // Field 2 is "(comm)", and comm may hold spaces and parentheses: split after the last ')'.
  return text === null ? null : (text.slice(text.lastIndexOf(')') + 2).split(' ')[n - 3] ?? null);
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

// ---- plugins -----------------------------------------------------------------------------------

async function checkPlugins(ctx: Context): Promise<DoctorCheck[]> {
  const found = await discover(searchPaths(undefined, { ...ctx.env, BULKHEAD_HOME: ctx.home }));
  const n = found.plugins.length;
  const where = found.searchPaths.join(', ');
  const notes = [
    found.shadowed.length > 0 ? `${found.shadowed.length} shadowed` : '',
    found.errors.length > 0 ? `${found.errors.length} invalid` : '',
  ].filter((s) => s !== '');
  const detail =
    n === 0 && found.errors.length === 0
      ? `no plugins installed (looked in ${where})`
      : `${n} plugin${n === 1 ? '' : 's'} in ${where}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;

  const invalid = found.errors.map(async (error): Promise<DoctorCheck> => {
    const name = await manifestName(error.file);
    if (name === undefined) {
      const check = warn(error.message, `correct ${error.file}, or remove its directory`);
      return { id: `plugin-manifest:${error.file}`, title: 'Plugin manifest', ...check };
    }
    const reinstall = `bulkhead install --force ${name}`;
    // A pinned Node binary that is gone fails discovery, and the plugin cannot start at all.
    if (error.field === '/node') return { ...pluginNode(name), ...fail(error.message, reinstall) };
    const check = warn(error.message, `correct the manifest, or reinstall: ${reinstall}`);
    return { id: `plugin-manifest:${error.file}`, title: `Plugin manifest of ${name}`, ...check };
  });

  // Several plugins may pin one binary: each runs once.
  const versions = new Map<string, Promise<{ good: boolean; detail: string }>>();
  const pinned = found.plugins.flatMap((p) => {
    const { nodePath, manifest } = p;
    if (nodePath === undefined) return [];
    if (!versions.has(nodePath)) versions.set(nodePath, pinnedNodeVersion(ctx, nodePath));
    return versions.get(nodePath)!.then(({ good, detail }): DoctorCheck => {
      const check = good ? ok(detail) : fail(detail, `bulkhead install --force ${manifest.name}`);
      return { ...pluginNode(manifest.name), ...check };
    });
  });
  return [{ id: 'plugins', title: 'Plugins', ...ok(detail) }, ...(await Promise.all([...invalid, ...pinned]))];
}

function pluginNode(name: string): Pick<DoctorCheck, 'id' | 'title'> {
  return { id: `plugin-node:${name}`, title: `Node for plugin ${name}` };
}

async function pinnedNodeVersion(ctx: Context, nodePath: string): Promise<{ good: boolean; detail: string }> {
  let result: Awaited<ReturnType<CommandRunner>>;
  try {
    result = await ctx.run(nodePath, ['--version'], { timeoutMs: ctx.timeoutMs });
  } catch (e) {
    return { good: false, detail: `${nodePath} does not run: ${errorCode(e) ?? firstLine(e)}` };
  }
  if (result.exitCode !== 0) {
    const output = firstLine(result.stderr || result.stdout);
    return { good: false, detail: `${nodePath} --version exited with code ${result.exitCode}: ${output}` };
  }
  const version = result.stdout.trim();
  if (checkNodeVersion(version).status === 'fail') {
    return { good: false, detail: `${nodePath} is Node ${version}, older than 20.12` };
  }
  return { good: true, detail: `${nodePath} runs Node ${version}` };
}

/** The `name` of a manifest that failed validation, when that much of it is readable. */
async function manifestName(file: string): Promise<string | undefined> {
  try {
    const name = (JSON.parse(await readFile(file, 'utf8')) as { name?: unknown }).name;
    // It goes into a command line: refuse anything a shell would read differently.
    return typeof name === 'string' && /^[\w@./-]+$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

// ---- gpu ---------------------------------------------------------------------------------------

async function checkGpu(ctx: Context): Promise<Outcome> {
  const off = 'GPU scheduling stays off until nvidia-smi works';
  let gpus: Awaited<ReturnType<typeof queryGpus>>;
  try {
    gpus = await queryGpus(ctx.run, { timeoutMs: ctx.timeoutMs });
  } catch (e) {
    if (isBulkheadError(e, 'ERR_TIMEOUT')) {
      return warn(`nvidia-smi did not answer within ${ctx.timeoutMs} ms`, `check the NVIDIA driver; ${off}`);
    }
    if (!isBulkheadError(e, 'ERR_INTERNAL')) {
      return warn(`nvidia-smi could not run: ${errorCode(e) ?? firstLine(e)}`, `check the NVIDIA driver; ${off}`);
    }
    const data = (e.data ?? {}) as { exitCode?: number; stderr?: string };
    // nvidia-smi prints some failures on stdout, and the message then holds that line instead.
    const why = data.stderr ? firstLine(data.stderr) : firstLine(e).replace(/^.*? exited with code \d+: /, '');
    // The usual cause of a mismatch: the driver was upgraded and the old kernel module is still loaded.
    return warn(
      `nvidia-smi exited with code ${data.exitCode ?? '?'}: ${why}`,
      `repair the NVIDIA driver (after an update, reboot); ${off}`,
    );
  }
  if (gpus.length === 0) return skip('no NVIDIA GPU driver found (GPU scheduling off)');
  const list = gpus.map((g) => `${g.index}: ${g.name}, ${g.memoryTotalMB} MiB (${g.memoryFreeMB} MiB free)`);
  return ok(`${gpus.length} GPU${gpus.length === 1 ? '' : 's'}: ${list.join('; ')}`);
}

// ---- redis -------------------------------------------------------------------------------------

interface RedisTarget {
  host: string;
  port: number;
  tls: boolean;
  /** `AUTH` and its arguments; empty without a password. */
  auth: string[];
  /** host:port for messages: never the password. */
  where: string;
}

async function checkRedis(ctx: Context): Promise<Outcome> {
  const raw = ctx.env.BULKHEAD_REDIS_URL;
  if (raw === undefined || raw === '') return skip('not configured (BULKHEAD_REDIS_URL is not set)');
  const target = parseRedisUrl(raw);
  if (target !== undefined) return pingRedis(target, ctx.timeoutMs);
  return fail(
    'BULKHEAD_REDIS_URL is not a redis:// URL',
    'set BULKHEAD_REDIS_URL=redis://[user:password@]host:port[/db]',
  );
}

function parseRedisUrl(raw: string): RedisTarget | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') return undefined;
  const port = url.port === '' ? 6379 : Number(url.port);
  const user = decodeURIComponent(url.username);
  const auth = url.password === '' ? [] : ['AUTH', ...(user === '' ? [] : [user]), decodeURIComponent(url.password)];
  // URL keeps an IPv6 host in brackets; net.connect wants it bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, tls: url.protocol === 'rediss:', auth, where: `${url.hostname}:${port}` };
}

/**
 * Connects, authenticates if the URL has a password, and sends PING: AUTH as a RESP array, so a
 * password may hold spaces, and PING inline. Resolves (never rejects) with the outcome.
 */
function pingRedis(target: RedisTarget, timeoutMs: number): Promise<Outcome> {
  const { where, auth } = target;
  const started = performance.now();
  const correct = 'correct BULKHEAD_REDIS_URL';
  return new Promise((done) => {
    const socket: Socket = target.tls
      ? tlsConnect({ host: target.host, port: target.port, servername: target.host })
      : netConnect({ host: target.host, port: target.port });
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      done(outcome);
    };
    const timer = setTimeout(() => {
      const fix = `check that Redis runs at ${where} and that no firewall drops the connection`;
      finish(fail(`no answer from ${where} within ${timeoutMs} ms`, fix));
    }, timeoutMs);
    socket.once(target.tls ? 'secureConnect' : 'connect', () => {
      socket.write(`${auth.length > 0 ? resp(auth) : ''}PING\r\n`);
    });
    let awaitingAuth = auth.length > 0;
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\r\n'); end !== -1; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (line.startsWith('-')) return finish(redisError(where, line.slice(1), awaitingAuth));
        if (awaitingAuth && line.startsWith('+')) {
          awaitingAuth = false;
        } else if (line === '+PONG') {
          return finish(ok(`PONG from ${where} in ${Math.round(performance.now() - started)} ms`));
        } else {
          return finish(fail(`${where} answered ${JSON.stringify(line.slice(0, 60))}, which is not Redis`, correct));
        }
      }
      // Not Redis, and no line end in sight: do not buffer forever.
      if (buffered.length > 4096) finish(fail(`${where} does not speak the Redis protocol`, correct));
    });
    socket.on('error', (e) => {
      const code = errorCode(e);
      if (code === 'ECONNREFUSED')
        return finish(fail(`connection to ${where} refused`, `start Redis at ${where}, or ${correct}`));
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
        return finish(fail(`cannot resolve ${target.host} (${code})`, correct));
      finish(fail(`connection to ${where} failed: ${code ?? firstLine(e)}`, `check that Redis runs at ${where}`));
    });
    socket.on('close', () => finish(fail(`${where} closed the connection without answering PING`, correct)));
  });
}

function redisError(where: string, message: string, duringAuth: boolean): Outcome {
  if (message.startsWith('NOAUTH')) {
    return fail(
      `${where} requires a password (${message})`,
      'put it in the URL: BULKHEAD_REDIS_URL=redis://:PASSWORD@host:port',
    );
  }
  if (duringAuth || message.startsWith('WRONGPASS')) {
    return fail(`${where} refused the credentials (${message})`, 'correct the user and password in BULKHEAD_REDIS_URL');
  }
  return fail(`${where} answered PING with an error: ${message}`, `check the Redis server at ${where}`);
}

/** A command as a RESP array of bulk strings. */
function resp(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

// ---- helpers -----------------------------------------------------------------------------------

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The first non-blank line of an error's message or of a text, for a one-line detail. */
function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '').trim().slice(0, 300);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}
