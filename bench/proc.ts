/**
 * Small process helpers shared by the Bulkhead and floor measurements.
 * @module
 */
import { readFileSync } from 'node:fs';

export { setTimeout as sleep } from 'node:timers/promises';

/** Resident set size of `pid` in MiB, from /proc (VmRSS), or NaN where there is no /proc. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}
