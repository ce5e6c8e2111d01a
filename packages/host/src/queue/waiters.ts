/**
 * Who waits for which job: `wait()` callers, woken with the finished job, or with the error that
 * kept its outcome from being recorded. A caller's own signal and its timeout are one
 * `AbortSignal.any`, so there is no timer of ours to clear.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { JobRecord } from './job-store.js';

type Waker = (outcome: JobRecord | Error) => void;

/** `AbortSignal.timeout` takes whole ms within 32 bits, where `setTimeout` took any number: clamp as it did. */
function timeoutSignal(ms: number): AbortSignal {
  return AbortSignal.timeout(Number.isFinite(ms) && ms >= 1 ? Math.min(Math.trunc(ms), 2 ** 31 - 1) : 1);
}

export class Waiters {
  readonly #byJob = new Map<string, Set<Waker>>();

  /** Whether anyone waits for the job (its record is read back only then). */
  has(id: string): boolean {
    return this.#byJob.has(id);
  }

  /**
   * Resolves with the job once `finished` (or `failed`) is called for it; rejects with ERR_CANCELLED
   * when `signal` aborts, ERR_TIMEOUT after `timeout` ms. `recheck` runs once the caller is
   * registered, for a job that finished between the caller's read and now.
   */
  wait(
    id: string,
    options: { timeout?: number; signal?: AbortSignal },
    recheck: (wake: (job: JobRecord) => void) => void,
  ): Promise<JobRecord> {
    const { signal, timeout } = options;
    const signals = [...(signal ? [signal] : []), ...(timeout !== undefined ? [timeoutSignal(timeout)] : [])];
    const ended = signals.length === 0 ? null : AbortSignal.any(signals);
    return new Promise<JobRecord>((resolve, reject) => {
      const waiters = this.#byJob.get(id) ?? new Set();
      this.#byJob.set(id, waiters);
      const done: Waker = (outcome) => {
        cleanup();
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const onEnd = () => {
        cleanup();
        if (signal?.aborted) {
          reject(
            new BulkheadError(
              'ERR_CANCELLED',
              `stopped waiting for job ${id}`,
              { forced: false },
              { cause: signal.reason },
            ),
          );
        } else {
          reject(
            new BulkheadError('ERR_TIMEOUT', `job ${id} did not finish within ${timeout} ms`, {
              timeoutMs: timeout as number,
              forced: false,
            }),
          );
        }
      };
      const cleanup = () => {
        waiters.delete(done);
        if (waiters.size === 0) this.#byJob.delete(id);
        ended?.removeEventListener('abort', onEnd);
      };
      waiters.add(done);
      if (ended?.aborted) return onEnd();
      ended?.addEventListener('abort', onEnd, { once: true });
      recheck(done);
    });
  }

  /** The job has finished: its waiters resolve with it. */
  finished(job: JobRecord): void {
    for (const w of [...(this.#byJob.get(job.id) ?? [])]) w(job);
  }

  /** The job's outcome could not be recorded: its waiters reject with why. */
  failed(id: string, error: Error): void {
    for (const w of [...(this.#byJob.get(id) ?? [])]) w(error);
  }

  /** Every waiter rejects with `error` (the queue stopped). */
  closeAll(error: Error): void {
    for (const waiters of [...this.#byJob.values()]) for (const w of [...waiters]) w(error);
  }
}
