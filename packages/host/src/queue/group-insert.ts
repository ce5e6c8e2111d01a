/**
 * Submits that arrive in the same event-loop turn are inserted as one durable write: one
 * transaction and one fsync for all of them. Submits over HTTP or the control socket come one per
 * request, each in its own I/O callback; without this each paid its own fsync, which is most of a
 * no-op job's cost. Each caller still gets exactly its own records, and only once they are durable.
 * @module
 */
import type { JobRecord, JobStore, NewJob } from './job-store.js';

interface Queued {
  jobs: NewJob[];
  resolve(records: JobRecord[]): void;
  reject(e: unknown): void;
}

export class GroupInsert {
  readonly #store: JobStore;
  #queued: Queued[] = [];
  #scheduled = false;

  constructor(store: JobStore) {
    this.#store = store;
  }

  /** Resolves with `jobs`' records (an existing job in place of a repeated idempotency key) once stored. */
  insert(jobs: NewJob[]): Promise<JobRecord[]> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ jobs, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // The check phase runs after the poll phase has handled every request that arrived.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#queued;
    this.#queued = [];
    if (batch.length === 0) return;
    try {
      // All or none, as for one caller: a store failure (disk full, lost lock) fails every caller.
      const records = await this.#store.insert(batch.flatMap((q) => q.jobs));
      let at = 0;
      for (const q of batch) {
        q.resolve(records.slice(at, at + q.jobs.length));
        at += q.jobs.length;
      }
    } catch (e) {
      for (const q of batch) q.reject(e);
    }
  }
}
