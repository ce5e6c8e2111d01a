/**
 * The changes a caller makes to a job of the embedded queue: cancel (pending, running, or left
 * running by a host that died) and reorder (to a position in the run order, or a new priority).
 * @module
 */

import type { EventEmitter } from 'node:events';
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { Dispatcher } from './dispatcher.js';
import type { JobReader } from './job-reader.js';
import type { StoreOp } from './job-store.js';
import { TERMINAL_STATUSES } from './job-store.js';
import { placement } from './pending-index.js';
import { cancelledPendingOps } from './settlement.js';
import type { Job, JobQueueEvents } from './types.js';
import type { Waiters } from './waiters.js';

export interface JobChangesOptions {
  reads: JobReader;
  dispatcher: Dispatcher;
  waiters: Waiters;
  events: EventEmitter<JobQueueEvents>;
  write(ops: StoreOp[]): Promise<boolean[]>;
  now(): number;
  wait(id: string): Promise<Job>;
  get(id: string): Promise<Job>;
}

export class JobChanges {
  readonly #o: JobChangesOptions;

  constructor(options: JobChangesOptions) {
    this.#o = options;
  }

  /**
   * Cancels a job. Pending: removed from the queue. Running: its signal is aborted in the plugin;
   * a plugin that ignores it has its worker killed after `cancelTimeoutMs`. Resolves with the job
   * once it is `cancelled` (a job already finished is returned as it is).
   */
  async cancel(id: string): Promise<Job> {
    const { reads, dispatcher: jobs, waiters } = this.#o;
    const job = await reads.record(id);
    if (TERMINAL_STATUSES.includes(job.status)) return reads.view(job);
    const reason = () => new BulkheadError('ERR_CANCELLED', 'job cancelled', { forced: false });
    if (jobs.running.cancel(id, reason())) return this.#o.wait(id);
    jobs.pending.remove(id);
    // `running` in the store while this queue holds the store but was never started: its host
    // died and nothing has recovered it. Nothing runs it, so it is cancelled on the spot. (Once
    // started, recovery has dealt with those; a running job missing here is settling.)
    const orphan = job.status === 'running' && !jobs.started;
    const [update, event] = cancelledPendingOps(id, orphan, this.#o.now());
    const [applied] = await this.#o.write([update]);
    if (!applied) {
      // It started meanwhile: now it is a running cancel.
      jobs.running.cancel(id, reason());
      return this.#o.wait(id);
    }
    await this.#o.write([event]);
    const done = await reads.record(id);
    waiters.finished(done);
    this.#o.events.emit('cancelled', { id, plugin: job.plugin, forced: false });
    jobs.soon();
    return reads.view(done);
  }

  /**
   * Moves a pending job: to `position` in the run order (0 = next, among jobs of its priority and
   * above), or to a new `priority` (behind the jobs already there).
   */
  async reorder(id: string, to: { position: number } | { priority: number }): Promise<Job> {
    const { reads, dispatcher: jobs } = this.#o;
    const job = await reads.record(id);
    const entry = jobs.pending.get(id);
    if (job.status !== 'pending' || entry === undefined) {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', `job ${id} is ${job.status}; only pending jobs can be reordered`);
    }
    const { priority, rank } = placement(jobs.pending, entry, to);
    const now = this.#o.now();
    // Move it in memory now, synchronously: a dispatch during the write then sees the new order,
    // and a job it starts meanwhile is never put back.
    jobs.pending.add({ ...entry, priority, rank });
    const [applied] = await this.#o.write([{ op: 'update', id, patch: { priority, rank }, ifStatus: ['pending'] }]);
    if (!applied) throw new BulkheadError('ERR_INVALID_ARGUMENT', `job ${id} started before it could be reordered`);
    await this.#o.write([{ op: 'event', id, event: { at: now, type: 'reordered', detail: `priority ${priority}` } }]);
    jobs.soon();
    return this.#o.get(id);
  }
}
