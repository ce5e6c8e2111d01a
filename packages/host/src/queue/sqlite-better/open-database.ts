/**
 * Opening the job database: the file, its pragmas, a health check, the schema and ownership, each
 * failure turned into ERR_STORE_UNAVAILABLE with what to do about it. A host that cannot use its
 * job database should say so once, at start, rather than crash later in a loop.
 * @module
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isBulkheadError } from '@bulkhead/sdk/errors';
import Database from 'better-sqlite3';
import { claimOwnership } from './owner-lock.js';
import { pinHandles } from './pin-handles.js';
import { hasTables, migrate, SCHEMA_VERSION, schemaVersion } from './schema.js';
import { fromSqliteError, storeUnavailable } from './store-error.js';

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

export function openDatabase(file: string, options: OpenOptions): Database.Database {
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (e) {
    throw storeUnavailable(
      file,
      'cannot-open',
      `cannot create the directory of job database ${file} (${(e as Error).message}); check the path and its permissions`,
      e,
    );
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: options.busyTimeoutMs });
    pinHandles(db);
    configure(db, options.durability);
    if (fileSize(file) <= QUICK_CHECK_MAX_BYTES) quickCheck(db, file);
    db.transaction(() => prepareSchema(db!, file)).immediate();
    return db;
  } catch (e) {
    db?.close();
    throw isBulkheadError(e) ? e : fromSqliteError(e, file, options.busyTimeoutMs);
  }
}

function configure(db: Database.Database, durability: OpenOptions['durability']): void {
  // WAL: readers never block the writer, and a commit is one sequential append.
  db.pragma('journal_mode = WAL');
  // In WAL mode FULL syncs the log on every commit (a returned insert survives power loss);
  // NORMAL syncs only at checkpoints, which still survives a crash of this process.
  db.pragma(`synchronous = ${durability === 'fsync' ? 'FULL' : 'NORMAL'}`);
  // macOS: fsync does not reach the platter; F_FULLFSYNC does. A no-op elsewhere.
  if (durability === 'fsync') db.pragma('fullfsync = ON');
  db.pragma('foreign_keys = ON');
  // Truncate the WAL back to 16 MiB after a burst instead of keeping its high-water size.
  db.pragma('journal_size_limit = 16777216');
}

function quickCheck(db: Database.Database, file: string): void {
  const result = db.pragma('quick_check(1)', { simple: true });
  if (result !== 'ok') {
    throw storeUnavailable(
      file,
      'corrupt',
      `job database ${file} is corrupt (${String(result)}); move it aside (for example ` +
        `\`mv ${file} ${file}.corrupt\`) and restart to begin with an empty queue`,
    );
  }
}

function prepareSchema(db: Database.Database, file: string): void {
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
