/**
 * CPU and memory of a process, read from /proc on Linux (no child process, no dependency).
 * Elsewhere the caller falls back to the worker's own `stats` answer.
 * @module
 */
import { readFile } from 'node:fs/promises';

/** Clock ticks per second as the kernel reports CPU times in /proc (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

export interface ProcSample {
  /** User + system CPU time, in milliseconds. */
  cpuMs: number;
  rssBytes: number;
  /** When the sample was taken (performance.now()). */
  at: number;
}

export const procAvailable = process.platform === 'linux';

/** One sample, or undefined if the process is gone. */
export async function sampleProc(pid: number): Promise<ProcSample | undefined> {
  try {
    const [stat, status] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    return { cpuMs: ((utime + stime) * 1000) / USER_HZ, rssBytes: rssKb * 1024, at: performance.now() };
  } catch {
    return undefined;
  }
}

/** CPU use between two samples, as a percentage of one core. */
export function cpuPercent(prev: ProcSample, next: ProcSample): number {
  const wall = next.at - prev.at;
  if (wall <= 0) return 0;
  return Math.max(0, ((next.cpuMs - prev.cpuMs) / wall) * 100);
}
