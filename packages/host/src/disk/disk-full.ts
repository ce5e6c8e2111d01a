/**
 * A full disk, said plainly: ENOSPC (and EDQUOT, a quota that is full) become ERR_DISK_FULL naming
 * what could not be written and what to do, instead of a stream's stack trace or "disk I/O error".
 * @module
 */
import { BulkheadError, isBulkheadError } from '@bulkhead/sdk/errors';

/** True for an error that means the disk (or the user's quota on it) is full. */
export function isDiskFull(e: unknown): boolean {
  if (isBulkheadError(e, 'ERR_DISK_FULL')) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** ERR_DISK_FULL: `what` (e.g. "the install of ./hello") could not be written to `path`. */
export function diskFullError(path: string, what: string, cause?: unknown): BulkheadError<'ERR_DISK_FULL'> {
  return new BulkheadError(
    'ERR_DISK_FULL',
    `the disk is full: ${what} could not be written to ${path}; free some space on it, or set BULKHEAD_HOME to a directory on another disk`,
    { path },
    cause === undefined ? undefined : { cause },
  );
}
