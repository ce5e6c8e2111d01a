/**
 * One live host per job database. Two queues on one file would both see the same pending jobs and
 * run them twice, and SQLite's own locks only last a transaction, so the owner is a row: who holds
 * the file (pid, hostname, when), written when a store opens and deleted when it closes.
 *
 * A row left by a host that died without closing is stale and is taken over. "Dead" must survive
 * pid reuse: after a reboot the same low pids go to whatever starts first, so a crashed host's pid
 * is often alive again as an unrelated daemon. On Linux the row therefore also records the boot id
 * and the process's start time (in clock ticks since boot, immune to wall-clock jumps), and a pid
 * counts as the owner only if both still match.
 * @module
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Database } from 'better-sqlite3';
import { storeUnavailable } from './store-error.js';

/** The `owner` table's one row (id 1): who holds the job database. */
export interface OwnerRow {
  pid: number;
  hostname: string;
  started_at: number;
  boot_id: string | null;
  proc_start: string | null;
}

/**
 * Makes this process the owner, or throws ERR_STORE_UNAVAILABLE (`in-use`) if another live process
 * on this machine is. Call inside a write transaction (BEGIN IMMEDIATE), so two hosts starting at
 * once cannot both see the file as free.
 */
export function claimOwnership(db: Database, file: string): void {
  const current = readOwner(db);
  if (current !== undefined && blocksClaim(current)) {
    const since = new Date(current.started_at).toISOString();
    throw storeUnavailable(
      file,
      'in-use',
      `job database ${file} is in use by process ${current.pid} since ${since}; ` +
        'stop it or use another BULKHEAD_HOME',
    );
  }
  const self = processIdentity(process.pid);
  db.prepare(
    `INSERT OR REPLACE INTO owner (id, pid, hostname, started_at, boot_id, proc_start)
     VALUES (1, ?, ?, ?, ?, ?)`,
  ).run(process.pid, hostname(), Date.now(), self.bootId, self.procStart);
}

/** Deletes the owner row if it is still ours. */
export function releaseOwnership(db: Database): void {
  db.prepare('DELETE FROM owner WHERE id = 1 AND pid = ? AND hostname = ?').run(process.pid, hostname());
}

/** The owner row, if a host holds the file or held it and died without closing. Only reads. */
export function readOwner(db: Database): OwnerRow | undefined {
  return db.prepare('SELECT pid, hostname, started_at, boot_id, proc_start FROM owner WHERE id = 1').get() as
    | OwnerRow
    | undefined;
}

function blocksClaim(owner: OwnerRow): boolean {
  // Our own pid: a previous store of this process (SqliteJobStore refuses a second open of one
  // file) or, in a container, pid 1 again after a restart. Another machine's process cannot be
  // checked; a new hostname over the same file is almost always a recreated container.
  if (owner.pid === process.pid || owner.hostname !== hostname()) return false;
  return isOwnerRunning(owner);
}

/**
 * Whether the process an owner row names still runs: alive, not a zombie, and, where Linux recorded
 * them, the same boot and process start time, so that a reused pid does not pass for the owner.
 * Meaningful only for a row written on this machine (`owner.hostname === hostname()`).
 */
export function isOwnerRunning(owner: OwnerRow): boolean {
  if (!isAlive(owner.pid)) return false;
  const now = processIdentity(owner.pid);
  if (owner.boot_id !== null && now.bootId !== null && owner.boot_id !== now.bootId) return false;
  if (owner.proc_start !== null && now.procStart !== null && owner.proc_start !== now.procStart) return false;
  return true;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists, it belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie has exited; it only waits to be reaped.
  return state(pid) !== 'Z';
}

/** What identifies a process beyond its pid, where the platform tells (Linux); nulls elsewhere. */
function processIdentity(pid: number): { bootId: string | null; procStart: string | null } {
  return { bootId: bootId(), procStart: statField(pid, 22) };
}

let cachedBootId: string | null | undefined;
function bootId(): string | null {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId;
}

function state(pid: number): string | null {
  return statField(pid, 3);
}

/** Field `n` (1-based, as in proc(5)) of /proc/<pid>/stat. */
function statField(pid: number, n: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 is "(comm)" and comm may hold spaces and parentheses: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[n - 3] ?? null;
}
