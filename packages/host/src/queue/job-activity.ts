/**
 * What running jobs report between their start and their outcome — progress and log lines —
 * kept in memory and written in batches (progress every 250 ms, logs every 100 ms, by the queue's
 * timers), so a chatty plugin costs a write per interval, not per report.
 * @module
 */
import type { LogEntry } from '../process/log-buffer.js';
import { JobLogBuffer } from './job-log-buffer.js';
import type { StoreOp } from './job-store.js';
import type { Job } from './types.js';

const LOG_BUFFER_LIMIT = 1000;

type Progress = NonNullable<Job['progress']>;

export class JobActivity {
  readonly #write: (ops: StoreOp[]) => Promise<unknown>;
  readonly #logs = new JobLogBuffer(LOG_BUFFER_LIMIT);
  readonly #progress = new Map<string, Progress>();

  /** `write`: where batches go (their failures are dropped: activity is best effort). */
  constructor(write: (ops: StoreOp[]) => Promise<unknown>) {
    this.#write = write;
  }

  progress(id: string, progress: Progress): void {
    this.#progress.set(id, progress);
  }

  /** The latest report not yet written, if any. */
  latest(id: string): Progress | undefined {
    return this.#progress.get(id);
  }

  /** The latest report, taken to go in with the job's outcome (a finished job shows where it got to). */
  takeLatest(id: string): { progress?: Progress } {
    const last = this.#progress.get(id);
    this.#progress.delete(id);
    return last ? { progress: last } : {};
  }

  log(id: string, entry: LogEntry): void {
    this.#logs.add(id, entry);
  }

  /** Writes buffered log lines (of one job, or all). */
  flushLogs(only?: string): void {
    const ops = this.#logs.take(only);
    if (ops.length > 0) void this.#write(ops).catch(() => {});
  }

  /** Writes the latest progress of every running job that reported since the last flush. */
  flushProgress(): void {
    if (this.#progress.size === 0) return;
    const ops: StoreOp[] = [];
    for (const [id, progress] of this.#progress)
      ops.push({ op: 'update', id, patch: { progress }, ifStatus: ['running'] });
    this.#progress.clear();
    void this.#write(ops).catch(() => {});
  }
}
