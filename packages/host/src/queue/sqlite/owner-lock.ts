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
import { hostname } from 'node:os';
import type { DatabaseSync } from 'node:sqlite';
import { identify, isRunning } from '../../process/process-identity.js';
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
export function claimOwnership(db: DatabaseSync, file: string): void {
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
  const self = identify(process.pid);
  db.prepare(
    `INSERT OR REPLACE INTO owner (id, pid, hostname, started_at, boot_id, proc_start)
     VALUES (1, ?, ?, ?, ?, ?)`,
  ).run(process.pid, hostname(), Date.now(), self.bootId, self.procStart);
}

/** Deletes the owner row if it is still ours. */
export function releaseOwnership(db: DatabaseSync): void {
  db.prepare('DELETE FROM owner WHERE id = 1 AND pid = ? AND hostname = ?').run(process.pid, hostname());
}

/** The owner row, if a host holds the file or held it and died without closing. Only reads. */
export function readOwner(db: DatabaseSync): OwnerRow | undefined {
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
  return isRunning({ pid: owner.pid, bootId: owner.boot_id, procStart: owner.proc_start });
}
