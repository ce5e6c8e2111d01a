/**
 * Turning SQLite's failures into Bulkhead's: a store never lets a raw `SqliteError` escape, because
 * callers match on `code`, and "database disk image is malformed" tells nobody what to do.
 *
 * `data.reason` is a short stable token (`corrupt`, `locked`, `in-use`, `closed`, `newer-schema`,
 * `not-a-job-database`, `io`, `disk-full`, `read-only`, `cannot-open`, `native-module`); the message
 * says what to do.
 * @module
 */
import { BulkheadError, toBulkheadError } from '@bulkhead/sdk/errors';

/** ERR_STORE_UNAVAILABLE for `file`. */
export function storeUnavailable(file: string, reason: string, message: string, cause?: unknown) {
  return new BulkheadError('ERR_STORE_UNAVAILABLE', message, { file, reason }, { cause });
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
 * Why better-sqlite3's native addon does not load, in one line, or null when `e` is not that (its
 * own message is several lines, the first only a path). The usual case: node_modules was installed
 * under another Node, e.g. before an upgrade from 20 to 24, or with nvm switched since.
 */
export function nativeLoadFailure(e: unknown): string | null {
  const message = e instanceof Error ? e.message : String(e);
  const abi = /NODE_MODULE_VERSION (\d+).*?NODE_MODULE_VERSION (\d+)/s.exec(message);
  if (abi !== null) {
    return `better-sqlite3 was built for another Node.js (module version ${abi[1]}; Node ${process.versions.node} needs ${abi[2]})`;
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ERR_DLOPEN_FAILED' || /Could not locate the bindings file|better_sqlite3\.node/.test(message)) {
    return `better-sqlite3 does not load: ${message.replace(/\s+/g, ' ').trim().slice(0, 300)}`;
  }
  return null;
}

/**
 * Maps anything thrown by better-sqlite3 to a BulkheadError. Errors that say the database as a
 * whole cannot be used become ERR_STORE_UNAVAILABLE; constraint failures are the caller's
 * (ERR_INVALID_ARGUMENT); anything else is ERR_INTERNAL with the original as `cause`.
 */
export function fromSqliteError(e: unknown, file: string, busyTimeoutMs: number): BulkheadError {
  const code = sqliteCode(e);
  if (code === undefined) {
    const native = nativeLoadFailure(e);
    if (native !== null) {
      return storeUnavailable(file, 'native-module', `${native}; rebuild it: \`npm rebuild better-sqlite3\``, e);
    }
    return toBulkheadError(e);
  }
  const detail = (e as Error).message;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return storeUnavailable(
      file,
      'corrupt',
      `job database ${file} is corrupt or not a SQLite database (${detail}); move it aside (for example ` +
        `\`mv ${file} ${file}.corrupt\`) and restart to begin with an empty queue`,
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
  if (code === 'SQLITE_FULL') {
    return storeUnavailable(file, 'disk-full', `job database ${file}: the disk is full; free some space`, e);
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return storeUnavailable(file, 'read-only', `job database ${file} is read-only; check its permissions`, e);
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

/** The `SQLITE_…` code of a better-sqlite3 error, if it is one. */
export function sqliteCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}
