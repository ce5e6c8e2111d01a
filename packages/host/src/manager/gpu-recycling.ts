/**
 * Recycling after a GPU job whose GPU memory did not come back (manifest
 * `limits.recycleAfterGpuLeakMB`): the GPU memory the worker's process group holds (nvidia-smi's
 * per-process `used_memory`, summed over the group's pids) is read once it loaded, before its
 * first call, and again each time it goes idle after calls; grown by more than the threshold
 * since then, the worker is replaced (when idle, as the other recycling is). A model loaded in
 * `initialize` is in the baseline; a cache a call fills and keeps counts as growth.
 *
 * nvidia-smi reports pids as the driver sees them: in a container without the host's pid
 * namespace they may not match the worker's, and then nothing is ever seen to grow.
 * @module
 */
import type { CommandRunner } from '../resources/command-runner.js';
import { queryGpuProcesses } from '../resources/nvidia-smi.js';

/** GPU memory (MiB) held by the processes `pids`, from one nvidia-smi query. */
export async function gpuMemoryOf(run: CommandRunner, pids: readonly number[]): Promise<number> {
  const mine = new Set(pids);
  const processes = await queryGpuProcesses(run);
  return processes.filter((p) => mine.has(p.pid)).reduce((sum, p) => sum + p.usedMemoryMB, 0);
}

export interface GpuLeakWatchOptions {
  run: CommandRunner;
  /** The worker's process group now (the worker and what it started). */
  pids: () => Promise<readonly number[]>;
  thresholdMB: number;
}

/** The verdict of one check after calls. */
export interface GpuLeakCheck {
  baselineMB: number;
  nowMB: number;
  /** Grown by more than the threshold since the baseline. */
  leaked: boolean;
}

/** One worker's GPU memory: a baseline at load, then a check whenever it goes idle. */
export class GpuLeakWatch {
  readonly #o: GpuLeakWatchOptions;
  #baseline: Promise<number | null>;
  /** Checks run one after another: one asked for while another runs is not lost. */
  #chain: Promise<unknown> = Promise.resolve();

  /** Takes the baseline at once (the worker is loaded and has run no call). */
  constructor(options: GpuLeakWatchOptions) {
    this.#o = options;
    this.#baseline = this.#sample();
  }

  /**
   * Samples again (after the checks before it) and compares with the baseline; null when either
   * sample failed (nvidia-smi missing or failing: nothing to go by).
   */
  check(): Promise<GpuLeakCheck | null> {
    const next = this.#chain.then(async () => {
      const baselineMB = await this.#baseline;
      const nowMB = await this.#sample();
      if (baselineMB === null || nowMB === null) return null;
      return { baselineMB, nowMB, leaked: nowMB - baselineMB > this.#o.thresholdMB };
    });
    this.#chain = next;
    return next;
  }

  async #sample(): Promise<number | null> {
    try {
      return await gpuMemoryOf(this.#o.run, await this.#o.pids());
    } catch {
      return null;
    }
  }
}
