/**
 * Which process a pid names, in a way that survives pid reuse: the pid, the boot it belongs to and
 * its start time since that boot. A lock or an owner row that records these can tell its holder
 * still runs from an unrelated process that got the same number after a crash or a reboot.
 * Linux reads /proc; elsewhere only the pid is known and liveness is all that can be checked.
 * @module
 */
import { readFileSync } from 'node:fs';
import { readProcStat } from '../util/proc-stat.js';

export interface ProcessIdentity {
  pid: number;
  /** /proc/sys/kernel/random/boot_id, or null off Linux. */
  bootId: string | null;
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or null. */
  procStart: string | null;
}

export function identify(pid: number): ProcessIdentity {
  return { pid, bootId: bootId(), procStart: startOf(pid) };
}

/**
 * True while the process `id` names runs: its pid is alive (EPERM counts: it belongs to another
 * user), not a zombie, and its boot and start time, where both sides know them, are the same.
 */
export function isRunning(id: ProcessIdentity): boolean {
  try {
    process.kill(id.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = readProcStat(id.pid);
  // A zombie has exited; it only waits to be reaped.
  if (now?.state === 'Z') return false;
  const boot = bootId();
  if (id.bootId !== null && boot !== null && id.bootId !== boot) return false;
  const start = now === undefined ? null : String(now.startTicks);
  if (id.procStart !== null && start !== null && id.procStart !== start) return false;
  return true;
}

/** Field 22 as the text it is stored as (lock files, owner rows). */
function startOf(pid: number): string | null {
  const stat = readProcStat(pid);
  return stat === undefined ? null : String(stat.startTicks);
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
