/**
 * Group commit: writes queued during one tick go to the store as one batch, so one job's
 * "completed" and the next job's "running" (and any logs, progress and events of that tick) share
 * a single transaction. Each caller still learns whether its own op applied.
 * @module
 */
import type { JobStore, StoreOp } from './job-store.js';

interface Queued {
  op: StoreOp;
  resolve(applied: boolean): void;
  reject(e: unknown): void;
}

export class GroupCommit {
  readonly #store: JobStore;
  #queued: Queued[] = [];
  #scheduled = false;

  constructor(store: JobStore) {
    this.#store = store;
  }

  /** Queues ops; resolves, per op, with whether it applied once the tick's batch is committed. */
  write(ops: StoreOp[]): Promise<boolean[]> {
    return Promise.all(
      ops.map(
        (op) =>
          new Promise<boolean>((resolve, reject) => {
            this.#queued.push({ op, resolve, reject });
            if (!this.#scheduled) {
              this.#scheduled = true;
              setImmediate(() => void this.flush());
            }
          }),
      ),
    );
  }

  /** Commits whatever is queued now (a read that must see earlier writes calls this first). */
  async flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#queued;
    if (batch.length === 0) return;
    this.#queued = [];
    try {
      const applied = await this.#store.batch(batch.map((w) => w.op));
      for (const [i, w] of batch.entries()) w.resolve(applied[i] ?? false);
    } catch (e) {
      for (const w of batch) w.reject(e);
    }
  }
}
