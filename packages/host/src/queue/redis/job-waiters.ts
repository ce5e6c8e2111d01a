/**
 * The wait() callers of each job: woken when the job ends (an event here or from another host, or
 * a look after a reconnect), told when the queue stops.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { JobRecord } from '../job-store.js';
import { TERMINAL_STATUSES } from '../job-store.js';

export class JobWaiters {
  readonly #settled = new Map<string, Set<(job: JobRecord | Error) => void>>();
  readonly #read: (id: string) => Promise<JobRecord | null>;

  constructor(read: (id: string) => Promise<JobRecord | null>) {
    this.#read = read;
  }

  /** The jobs someone waits for. */
  ids(): IterableIterator<string> {
    return this.#settled.keys();
  }

  /** Waits until the job's ended record comes; a record without a status means the queue stopped. */
  wait(id: string, options: { timeout?: number; signal?: AbortSignal }): Promise<JobRecord> {
    return new Promise<JobRecord>((resolve, reject) => {
      const waiters = this.#settled.get(id) ?? new Set();
      this.#settled.set(id, waiters);
      const done = (j: JobRecord | Error) => {
        cleanup();
        if (j instanceof Error) reject(j);
        else if (j.status === undefined) reject(new BulkheadError('ERR_QUEUE_CLOSED', 'the job queue was stopped'));
        else resolve(j);
      };
      const onAbort = () => {
        cleanup();
        reject(
          new BulkheadError(
            'ERR_CANCELLED',
            `stopped waiting for job ${id}`,
            { forced: false },
            { cause: options.signal?.reason },
          ),
        );
      };
      const timer =
        options.timeout === undefined
          ? null
          : setTimeout(() => {
              cleanup();
              reject(
                new BulkheadError('ERR_TIMEOUT', `job ${id} did not finish within ${options.timeout} ms`, {
                  timeoutMs: options.timeout as number,
                  forced: false,
                }),
              );
            }, options.timeout);
      const cleanup = () => {
        waiters.delete(done);
        if (waiters.size === 0) this.#settled.delete(id);
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      waiters.add(done);
      void this.wake(id); // it may have ended between the read above and now
    });
  }

  /** Resolves wait() callers of a job if it has ended. */
  async wake(id: string): Promise<void> {
    const waiters = this.#settled.get(id);
    if (!waiters) return;
    const job = await this.#read(id).catch(() => null);
    if (job && TERMINAL_STATUSES.includes(job.status)) for (const w of [...waiters]) w(job);
  }

  /** The queue stopped: every waiter is told (ERR_QUEUE_CLOSED). */
  stopAll(): void {
    for (const [id, waiters] of this.#settled) for (const w of waiters) w({ id } as JobRecord);
  }
}
