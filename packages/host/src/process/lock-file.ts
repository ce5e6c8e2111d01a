/**
 * An exclusive lock file that names its holder: pid, boot id and start time (process-identity.ts),
 * and since when it holds it. Used by the install lock and the state store.
 *
 * The file is written complete before it becomes the lock (written to a private temp file, then
 * hard-linked into place, which fails if the lock exists), so a lock that cannot be parsed was not
 * written by a live holder of this code: a full disk, a crash between open and write, or an older
 * version. Such a lock, and one whose holder is gone, is taken over (with `onTakeover` saying
 * why); a live holder is waited for (with `onWait` saying who and since when), never deleted.
 * @module
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  linkSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { identify, isRunning, type ProcessIdentity } from './process-identity.js';

/** What a lock file records. */
export interface LockHolder extends ProcessIdentity {
  /** When the holder took the lock (ms since the epoch). */
  since: number;
}

/** Why a lock was taken over from its holder. */
export interface LockTakeover {
  file: string;
  /** `gone`: the holder's process no longer runs; `unidentifiable`: the file names nobody. */
  reason: 'gone' | 'unidentifiable';
  holder: LockHolder | null;
}

export interface LockOptions {
  /** Called once when a live holder makes this wait. */
  onWait?: (holder: LockHolder) => void;
  /** Called for each lock taken over from a dead or unidentifiable holder. */
  onTakeover?: (takeover: LockTakeover) => void;
}

/** One try: true if the lock is now ours, else the live holder that has it. */
export function tryLock(file: string, options: LockOptions = {}): true | LockHolder {
  for (;;) {
    if (create(file)) return true;
    const seen = readLock(file);
    if (seen === null) continue; // released between our link and our read: try again
    const { holder, ino } = seen;
    if (holder !== null && holder.pid !== process.pid && isRunning(holder)) return holder;
    // Our own pid in a lock is one left by an earlier process that had that pid (a container's pid 1).
    if (takeOver(file, ino)) {
      options.onTakeover?.({ file, reason: holder === null ? 'unidentifiable' : 'gone', holder });
    }
  }
}

/** Releases a lock this process holds (and only then: a lock taken over from us stays). */
export function releaseLock(file: string): void {
  const seen = readLock(file);
  const me = identify(process.pid);
  if (seen?.holder?.pid === me.pid && seen.holder.procStart === me.procStart) rmSync(file, { force: true });
}

/** Describes a holder for people: "pid 123, since 12:00:01". */
export function describeHolder(holder: LockHolder): string {
  const since = Number.isFinite(holder.since) ? new Date(holder.since).toISOString() : 'an unknown time';
  return `pid ${holder.pid}, since ${since}`;
}

function create(file: string): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const holder: LockHolder = { ...identify(process.pid), since: Date.now() };
  try {
    writeFileSync(tmp, JSON.stringify(holder));
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The lock's holder (null: unparseable) and inode, or null when there is no lock file. */
function readLock(file: string): { holder: LockHolder | null; ino: number } | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const ino = fstatSync(fd).ino;
    return { holder: parseHolder(readFileSync(fd, 'utf8')), ino };
  } finally {
    closeSync(fd);
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text) as Partial<LockHolder> | null;
    if (!Number.isInteger(h?.pid) || (h?.pid ?? 0) <= 0) return null;
    return {
      pid: h?.pid as number,
      bootId: typeof h?.bootId === 'string' ? h.bootId : null,
      procStart: typeof h?.procStart === 'string' ? h.procStart : null,
      since: typeof h?.since === 'number' ? h.since : Number.NaN,
    };
  } catch {
    return null;
  }
}

/**
 * Removes the lock judged dead, and only that one: two processes may judge it at once, and the
 * slower must not delete the lock the faster has just created. The file is moved aside first and
 * its inode compared with the one judged; a different file (a new holder's) is put back.
 */
function takeOver(file: string, judgedIno: number): boolean {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  if (lstatSync(aside).ino === judgedIno) {
    unlinkSync(aside);
    return true;
  }
  try {
    linkSync(aside, file);
  } catch {
    // Yet another process has the lock now; the one moved aside lost its file, as after a crash.
  }
  unlinkSync(aside);
  return false;
}
