/**
 * CPU and memory of a process, read from /proc on Linux (no child process, no dependency).
 * Elsewhere the caller falls back to the worker's own `stats` answer.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { readProcStat, ticksToMs } from '../util/proc-stat.js';

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
    const stat = readProcStat(pid);
    if (stat === undefined) return undefined;
    // VmRSS, not stat's pages: the same number in kB, without asking the page size.
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    return { cpuMs: ticksToMs(stat.cpuTicks), rssBytes: rssKb * 1024, at: performance.now() };
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

/** One worker's CPU use since its previous sample (or since it started), and its RSS. */
export class CpuSampler {
  #last: ProcSample | null = null;

  /** A new worker: its first sample counts from its start. */
  reset(): void {
    this.#last = null;
  }

  /** Undefined where /proc cannot tell (not Linux, or the process is gone). */
  async sample(pid: number, uptimeMs: number): Promise<{ cpuPercent: number; rssBytes: number } | undefined> {
    if (!procAvailable) return undefined;
    const sample = await sampleProc(pid);
    if (sample === undefined) return undefined;
    const prev = this.#last ?? { cpuMs: 0, rssBytes: 0, at: sample.at - uptimeMs };
    this.#last = sample;
    return { cpuPercent: cpuPercent(prev, sample), rssBytes: sample.rssBytes };
  }
}
