/**
 * Opening the job database: the file, its pragmas, a health check, the schema and ownership, each
 * failure turned into ERR_STORE_UNAVAILABLE with what to do about it. A host that cannot use its
 * job database should say so once, at start, rather than crash later in a loop.
 * @module
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { isBulkheadError } from '@bulkhead/sdk/errors';
import { nodeSqlite } from './node-sqlite.js';
import { claimOwnership } from './owner-lock.js';
import { hasTables, migrate, SCHEMA_VERSION, schemaVersion } from './schema.js';
import { fromSqliteError, readOnlyFileSystem, storeUnavailable } from './store-error.js';
import { immediateTransaction, type Transaction } from './transaction.js';

export interface OpenOptions {
  durability: 'fsync' | 'process';
  busyTimeoutMs: number;
}

/**
 * Below this size the whole file is checked with `PRAGMA quick_check` at open (about 1 ms per MB
 * warm), so damage inside a page is reported at start. A truncated or non-database file fails on
 * the first statement anyway; a larger file skips the check rather than delay every start.
 */
const QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024;

/** An open job database and the write transaction of its connection. */
export interface OpenDatabase {
  db: DatabaseSync;
  transaction: Transaction;
}

export function openDatabase(file: string, options: OpenOptions): OpenDatabase {
  const { DatabaseSync } = nodeSqlite();
  try {
    mkdirSync(dirname(file), { recursive: true });
    // SQLite would open a file on a read-only mount read-only without a word, then fail with
    // "unable to open database file" on its first write: ask the file system first.
    accessSync(dirname(file), constants.W_OK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EROFS') throw readOnlyFileSystem(file, e);
    throw storeUnavailable(
      file,
      'cannot-open',
      `the directory of job database ${file} cannot be created or written (${(e as Error).message}); ` +
        'check the path and its permissions, or set BULKHEAD_HOME to another directory',
      e,
    );
  }
  let db: DatabaseSync | undefined;
  // A 0-byte file (a copy cut short, a disk that filled as it was made) opens as a new database:
  // that is right, but it must not happen silently.
  const wasEmpty = existsSync(file) && fileSize(file) === 0;
  try {
    db = new DatabaseSync(file);
    configure(db, options);
    if (fileSize(file) <= QUICK_CHECK_MAX_BYTES) quickCheck(db, file);
    const transaction = immediateTransaction(db);
    transaction(() => prepareSchema(db!, file));
    if (wasEmpty) {
      process.emitWarning(
        `job database ${file} was an empty file (0 bytes): it is now a new, empty job queue; if it held jobs, they were lost before this start (restore it from a backup)`,
        'BulkheadWarning',
      );
    }
    return { db, transaction };
  } catch (e) {
    db?.close();
    throw isBulkheadError(e) ? e : fromSqliteError(e, file, options.busyTimeoutMs);
  }
}

function configure(db: DatabaseSync, { durability, busyTimeoutMs }: OpenOptions): void {
  // Set first: the pragmas below may already wait on a lock. (A pragma, not the constructor's
  // `timeout` option, which Node 22 gained only in 22.16.)
  db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  // WAL: readers never block the writer, and a commit is one sequential append.
  db.exec('PRAGMA journal_mode = WAL');
  // In WAL mode FULL syncs the log on every commit (a returned insert survives power loss);
  // NORMAL syncs only at checkpoints, which still survives a crash of this process.
  db.exec(`PRAGMA synchronous = ${durability === 'fsync' ? 'FULL' : 'NORMAL'}`);
  // macOS: fsync does not reach the platter; F_FULLFSYNC does. A no-op elsewhere.
  if (durability === 'fsync') db.exec('PRAGMA fullfsync = ON');
  db.exec('PRAGMA foreign_keys = ON');
  // Truncate the WAL back to 16 MiB after a burst instead of keeping its high-water size.
  db.exec('PRAGMA journal_size_limit = 16777216');
}

/** The first column of a pragma's first row (`PRAGMA quick_check` → 'ok'). */
export function pragmaValue(db: DatabaseSync, pragma: string): unknown {
  const row = db.prepare(`PRAGMA ${pragma}`).get();
  return row === undefined ? undefined : Object.values(row)[0];
}

function quickCheck(db: DatabaseSync, file: string): void {
  const result = pragmaValue(db, 'quick_check(1)');
  if (result !== 'ok') {
    throw storeUnavailable(
      file,
      'corrupt',
      `job database ${file} is corrupt (${String(result)}); move it aside (for example ` +
        `\`mv ${file} ${file}.corrupt\`) and restart to begin with an empty queue; \`bulkhead jobs recover\` first saves the jobs it can still read`,
    );
  }
}

function prepareSchema(db: DatabaseSync, file: string): void {
  const version = schemaVersion(db);
  if (version > SCHEMA_VERSION) {
    throw storeUnavailable(
      file,
      'newer-schema',
      `job database ${file} was written by a newer Bulkhead (schema ${version}, this one knows up to ` +
        `${SCHEMA_VERSION}); upgrade Bulkhead or use another BULKHEAD_HOME`,
    );
  }
  if (version === 0 && hasTables(db)) {
    throw storeUnavailable(
      file,
      'not-a-job-database',
      `${file} is a SQLite database but not a Bulkhead job database; move it aside or use another BULKHEAD_HOME`,
    );
  }
  // Ownership first: a live owner (maybe a newer host) must not see its schema changed under it.
  if (version > 0) claimOwnership(db, file);
  migrate(db, version);
  if (version === 0) claimOwnership(db, file);
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
