/**
 * Turning SQLite's failures into Bulkhead's: a store never lets node:sqlite's raw `ERR_SQLITE_ERROR`
 * escape, because callers match on `code`, and "database disk image is malformed" tells nobody what
 * to do.
 *
 * `data.reason` is a short stable token (`corrupt`, `locked`, `in-use`, `closed`, `newer-schema`,
 * `not-a-job-database`, `io`, `read-only`, `cannot-open`); the message says what to do. A full disk
 * is ERR_DISK_FULL, as everywhere else.
 * @module
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { BulkheadError, type StoreUnavailableReason, toBulkheadError } from '@bulkhead/sdk/errors';
import { diskFullError as fullDiskError } from '../../disk/disk-full.js';

/** ERR_STORE_UNAVAILABLE for `file`. */
export function storeUnavailable(file: string, reason: StoreUnavailableReason, message: string, cause?: unknown) {
  return new BulkheadError('ERR_STORE_UNAVAILABLE', message, { file, reason }, { cause });
}

/**
 * ERR_DISK_FULL, as every other full-disk write of Bulkhead says it (disk/disk-full.ts): what failed
 * was not written, what was written before stays.
 */
export function diskFullError(file: string, cause?: unknown) {
  return fullDiskError(file, 'this write to the job database (nothing before it is lost)', cause);
}

/** ERR_STORE_UNAVAILABLE `read-only`, for a home on a read-only file system (EROFS). */
export function readOnlyFileSystem(file: string, cause?: unknown) {
  return storeUnavailable(
    file,
    'read-only',
    `job database ${file} is on a read-only file system; remount it read-write, or set BULKHEAD_HOME to a ` +
      'directory on a writable disk',
    cause,
  );
}

/** Whether the file system holding `file` has (almost) no space left for an unprivileged writer. */
export function diskFull(file: string): boolean {
  try {
    const fs = statfsSync(dirname(file));
    // Under 1 MiB: too little for SQLite to grow its WAL and shared-memory files by a few pages.
    return fs.bavail * fs.bsize < 1024 * 1024;
  } catch {
    return false;
  }
}

/** ERR_INVALID_ARGUMENT: the caller's mistake, not the store's. */
export function invalidArgument(message: string) {
  return new BulkheadError('ERR_INVALID_ARGUMENT', message);
}

/** The error for every call on a closed store. */
export function storeClosed(file: string) {
  return storeUnavailable(file, 'closed', `job store ${file} is closed`);
}

/**
 * Maps anything thrown by node:sqlite to a BulkheadError. Errors that say the database as a
 * whole cannot be used become ERR_STORE_UNAVAILABLE; constraint failures are the caller's
 * (ERR_INVALID_ARGUMENT); anything else is ERR_INTERNAL with the original as `cause`.
 */
export function fromSqliteError(e: unknown, file: string, busyTimeoutMs: number): BulkheadError {
  const code = sqliteCode(e);
  if (code === undefined) return toBulkheadError(e);
  const detail = (e as Error).message;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return storeUnavailable(
      file,
      'corrupt',
      `job database ${file} is corrupt or not a SQLite database (${detail}); move it aside (for example ` +
        `\`mv ${file} ${file}.corrupt\`) and restart to begin with an empty queue; \`bulkhead jobs recover\` first saves the jobs it can still read`,
      e,
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return storeUnavailable(
      file,
      'locked',
      `job database ${file} is locked by another connection for more than ${busyTimeoutMs} ms; ` +
        'stop the program holding it (another Bulkhead host, or a sqlite3 shell inside a transaction)',
      e,
    );
  }
  // A full disk shows as SQLITE_FULL when the WAL cannot grow, and as an I/O error when SQLite's
  // shared-memory file cannot be extended: the free space tells the two apart.
  if (code === 'SQLITE_FULL' || (code === 'SQLITE_IOERR' && diskFull(file))) return diskFullError(file, e);
  if (code.startsWith('SQLITE_READONLY')) {
    return storeUnavailable(
      file,
      'read-only',
      `job database ${file} is read-only; make it writable (chmod u+w), or set BULKHEAD_HOME to another directory`,
      e,
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) {
    return storeUnavailable(
      file,
      'cannot-open',
      `job database ${file} cannot be opened (${detail}); check that the path is a writable file`,
      e,
    );
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return storeUnavailable(file, 'io', `job database ${file}: I/O error (${detail})`, e);
  }
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_RANGE') {
    return new BulkheadError('ERR_INVALID_ARGUMENT', detail, undefined, { cause: e });
  }
  return toBulkheadError(e);
}

/**
 * SQLite's primary result codes by number: node:sqlite reports a failure as `ERR_SQLITE_ERROR`
 * with the (extended) number in `errcode`, whose low byte is the primary code.
 */
const PRIMARY_CODES: Partial<Record<number, string>> = {
  3: 'SQLITE_PERM',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  8: 'SQLITE_READONLY',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  23: 'SQLITE_AUTH',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
};

/** The `SQLITE_…` name of a node:sqlite error's primary result code, if it is one. */
export function sqliteCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; errcode?: unknown } | null;
  if (err?.code !== 'ERR_SQLITE_ERROR' || typeof err.errcode !== 'number') return undefined;
  return PRIMARY_CODES[err.errcode & 0xff] ?? 'SQLITE_ERROR';
}

/** A whole number ≥ 0 (fractions are floored). */
export function count(value: number, name: string): number {
  if (typeof value !== 'number' || !(value >= 0)) throw invalidArgument(`${name} must be a number ≥ 0, got ${value}`);
  return Math.floor(value);
}
