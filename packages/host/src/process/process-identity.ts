/**
 * Which process a pid names, in a way that survives pid reuse: the pid, the boot it belongs to and
 * its start time since that boot. A lock or an owner row that records these can tell its holder
 * still runs from an unrelated process that got the same number after a crash or a reboot.
 * Linux reads /proc; elsewhere only the pid is known and liveness is all that can be checked.
 * @module
 */
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** /proc/sys/kernel/random/boot_id, or null off Linux. */
  bootId: string | null;
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or null. */
  procStart: string | null;
}

/** The fields of /proc/<pid>/stat from field 3 on (index 0 is field 3), or null when it is gone. */
export function procStat(pid: number): string[] | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 is "(comm)" and comm may hold spaces and parentheses: split after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export function identify(pid: number): ProcessIdentity {
  return { pid, bootId: bootId(), procStart: procStat(pid)?.[19] ?? null };
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
  const now = procStat(id.pid);
  // A zombie has exited; it only waits to be reaped.
  if (now?.[0] === 'Z') return false;
  const boot = bootId();
  if (id.bootId !== null && boot !== null && id.bootId !== boot) return false;
  const start = now?.[19] ?? null;
  if (id.procStart !== null && start !== null && id.procStart !== start) return false;
  return true;
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
