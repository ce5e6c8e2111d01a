/**
 * Signals a worker's whole process group. Each worker leads its own group (spawned detached), so
 * the processes a plugin starts go with it. The group outlives its leader until its last member
 * exits, and its id cannot be reused while it exists, so signalling it after the leader died is safe.
 * @module
 */
import { readProcStat } from '../util/proc-stat.js';

/**
 * Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined
 * when it is gone or this is not Linux. A pid plus its start time names one process for good.
 */
export function processStartTicks(pid: number): number | undefined {
  return readProcStat(pid)?.startTicks;
}

/**
 * Sends `signal` to the group led by `pid`. With `startTicks`, first checks that `pid` still is the
 * process we started (not a new one that reused the number); a leader already gone is fine, the
 * group is what we signal.
 */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals, startTicks?: number): void {
  if (pid === undefined || pid <= 0) return;
  if (startTicks !== undefined) {
    const now = processStartTicks(pid);
    if (now !== undefined && now !== startTicks) return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone. No fallback to signalling `pid` alone: every worker leads its group, so
    // a bare pid here may already belong to an unrelated process.
  }
}
