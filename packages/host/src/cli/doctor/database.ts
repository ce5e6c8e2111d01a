/**
 * The `sqlite` and `control` checks, from one read-only look at `<home>/jobs.db`: does the job
 * database open, is it intact and of a schema this Bulkhead knows, and which host owns it.
 *
 * Doctor never claims the owner row: a live host may hold the file while doctor reads it.
 * @module
 */
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { nodeSqlite } from '../../queue/sqlite/node-sqlite.js';
import { pragmaValue } from '../../queue/sqlite/open-database.js';
import { isOwnerRunning, type OwnerRow, readOwner } from '../../queue/sqlite/owner-lock.js';
import { hasTables, SCHEMA_VERSION, schemaVersion } from '../../queue/sqlite/schema.js';
import { sqliteCode } from '../../queue/sqlite/store-error.js';
import { type DoctorContext, errorCode, fail, firstLine, formatBytes, type Outcome, ok, skip, warn } from './check.js';

export interface DatabaseOutcomes {
  sqlite: Outcome;
  control: Outcome;
  /** The pid of a live host of this machine that owns the database (asked next whether it answers). */
  runningOwner?: number;
}

const STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;

const UNREAD = skip('the job database could not be read (see the sqlite check)');

/** The `sqlite` and `control` outcomes, from one read-only look at `<home>/jobs.db`. */
export async function inspectDatabase(ctx: DoctorContext): Promise<DatabaseOutcomes> {
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
  let sqlite: ReturnType<typeof nodeSqlite>;
  try {
    sqlite = nodeSqlite();
  } catch (e) {
    // Only on a Node without node:sqlite, which the node check reports with its fix as well.
    return { sqlite: fail(firstLine(e), 'install Node 24 LTS (https://nodejs.org)'), control: UNREAD };
  }
  if (size === undefined) {
    return {
      sqlite: ok(`${file} will be created on first use (node:sqlite ${sqliteVersion(sqlite)})`),
      control: ok('no job database yet, so no host owns it'),
    };
  }
  let db: DatabaseSync | undefined;
  try {
    // Read-only: never creates the file, never writes it.
    db = new sqlite.DatabaseSync(file, { readOnly: true });
    // The busy timeout lets doctor wait out a host's write transaction, but not a stuck lock.
    db.exec(`PRAGMA busy_timeout = ${ctx.timeoutMs}`);
    return readDatabase(db, file, size);
  } catch (e) {
    return { sqlite: sqliteFailure(e, file), control: UNREAD };
  } finally {
    db?.close();
  }
}

/** The SQLite library's version, as an in-memory database reports it. */
function sqliteVersion(sqlite: ReturnType<typeof nodeSqlite>): string {
  const db = new sqlite.DatabaseSync(':memory:');
  try {
    return String(db.prepare('SELECT sqlite_version() AS v').get()?.v);
  } finally {
    db.close();
  }
}

function moveAside(file: string): string {
  return `save what it still holds (bulkhead jobs recover), then move it aside (mv ${file} ${file}.broken); the next start begins with an empty queue`;
}

function readDatabase(db: DatabaseSync, file: string, size: number): DatabaseOutcomes {
  const integrity = pragmaValue(db, 'quick_check(1)');
  if (integrity !== 'ok')
    return { sqlite: fail(`${file} is corrupt: ${String(integrity)}`, moveAside(file)), control: UNREAD };
  const journal = String(pragmaValue(db, 'journal_mode'));
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
  const owner = readOwner(db);
  const local = owner !== undefined && owner.hostname === hostname() && owner.pid !== process.pid;
  return {
    sqlite,
    control: ownerOutcome(owner),
    ...(local && isOwnerRunning(owner) ? { runningOwner: owner.pid } : {}),
  };
}

function sqliteFailure(e: unknown, file: string): Outcome {
  const code = sqliteCode(e);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return fail(`${file} is not a usable SQLite database (${firstLine(e)})`, moveAside(file));
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return warn(`${file} stayed locked by another connection (${firstLine(e)})`, 'rerun doctor in a moment');
  }
  const fix = `check that ${file} and its directory are readable and writable by this user`;
  return fail(`${file} cannot be opened: ${firstLine(e)}`, fix);
}

/**
 * `control`: who holds the job database, judged by the rules the store applies before taking a
 * row over (queue/sqlite/owner-lock.ts), but only read, never written.
 */
function ownerOutcome(owner: OwnerRow | undefined): Outcome {
  if (owner === undefined) return ok('no Bulkhead host owns the job database');
  const { pid } = owner;
  const since = new Date(owner.started_at).toISOString();
  if (owner.hostname !== hostname()) return ok(`owned by pid ${pid} on ${owner.hostname} since ${since} (not checked)`);
  if (pid === process.pid) return ok(`owned by this process (pid ${pid}) since ${since}`);
  if (isOwnerRunning(owner)) return ok(`owned by a running Bulkhead host (pid ${pid}) since ${since}`);
  return warn(
    `stale owner row: pid ${pid} (owner since ${since}) is not running; it will be taken over`,
    'nothing to do: the next Bulkhead host to start takes the database over',
  );
}
