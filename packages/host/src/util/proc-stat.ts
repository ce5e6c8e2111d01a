/**
 * The one reader of /proc/<pid>/stat (proc(5)): a process's state, group, CPU ticks, start time
 * and resident pages. Linux only; elsewhere, and for a process that is gone, every answer is
 * undefined. Synchronous on purpose: procfs is served from kernel memory and never waits on a disk,
 * and one read in a row is several times cheaper than a thread-pool round trip.
 * @module
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Clock ticks per second of the times in /proc (USER_HZ: 100 on every Linux ABI). */
export const USER_HZ = 100;

/** The fields of one /proc/<pid>/stat line that Bulkhead uses. */
export interface ProcStat {
  /** Field 3: R, S, D, Z (zombie: exited, not yet reaped), X… */
  state: string;
  /** Field 5: the process group. */
  pgid: number;
  /** Fields 14 + 15: user + system CPU time, in ticks. */
  cpuTicks: number;
  /** Fields 16 + 17: CPU time of the children it reaped, in ticks. */
  childCpuTicks: number;
  /** Field 22: when it started, in ticks since boot. A pid plus this names one process for good. */
  startTicks: number;
  /** Field 24: resident set size, in pages. */
  rssPages: number;
}

/** Parses one stat line; undefined for a line that is not one. */
export function parseProcStat(line: string | undefined): ProcStat | undefined {
  if (line === undefined) return undefined;
  // Field 2 is "(comm)", and comm may hold spaces and parentheses: split after the last ')'.
  const close = line.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = line.slice(close + 2).split(' '); // f[n - 3] is field n
  if (f.length < 22) return undefined;
  const n = (i: number) => Number(f[i]);
  return {
    state: f[0] as string,
    pgid: n(2),
    cpuTicks: n(11) + n(12),
    childCpuTicks: n(13) + n(14),
    startTicks: n(19),
    rssPages: n(21),
  };
}

/** /proc/<pid>/stat of `pid`, or undefined when it is gone (or this is not Linux). */
export function readProcStat(pid: number | string): ProcStat | undefined {
  if (process.platform !== 'linux') return undefined;
  if (typeof pid === 'number' && !(Number.isInteger(pid) && pid > 0)) return undefined;
  return parseProcStat(readSmall(`/proc/${pid}/stat`));
}

/** Ticks of /proc as milliseconds. */
export function ticksToMs(ticks: number): number {
  return (ticks * 1000) / USER_HZ;
}

// One buffer for every read: a stat line is ~300 bytes, and skipping readFileSync's fstat and
// per-file allocation halves the cost of a scan of every process.
const buffer = Buffer.alloc(4096);

function readSmall(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined; // gone (or, in a scan, exited between the listing and the read)
  }
  try {
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.toString('latin1', 0, length);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
