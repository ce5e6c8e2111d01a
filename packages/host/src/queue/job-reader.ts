/**
 * The read side of a job queue: jobs as callers see them (values decoded, the latest progress),
 * waiting for one to finish, its logs and timeline, why a pending one waits, and the snapshot UIs
 * draw. Every read first commits the writes queued so far, so it sees them.
 * @module
 */

import { BulkheadError } from '@bulkhead/sdk/errors';
import type { LogEntry } from '../process/log-buffer.js';
import type { Scheduler } from '../resources/scheduler.js';
import { decodeValue } from './codec.js';
import type { Waiting } from './dispatch-plan.js';
import { background, type Dispatcher } from './dispatcher.js';
import type { JobActivity } from './job-activity.js';
import type { JobEvent, JobFilter, JobRecord, JobStore } from './job-store.js';
import { TERMINAL_STATUSES } from './job-store.js';
import type { PluginRunner } from './plugin-runner.js';
import type { Explanation, Job, QueueSnapshot } from './types.js';
import type { ValueFiles } from './value-files.js';
import { explanation, outcomeOf, timelineOf, viewOf } from './views.js';
import type { Waiters } from './waiters.js';

export interface JobReaderOptions {
  store: JobStore;
  files: ValueFiles;
  waiters: Waiters;
  activity: JobActivity;
  dispatcher: Dispatcher;
  runner: PluginRunner;
  scheduler: Scheduler;
  flushWrites(): Promise<void>;
  now(): number;
}

export class JobReader {
  readonly #o: JobReaderOptions;

  constructor(options: JobReaderOptions) {
    this.#o = options;
  }

  /** The stored job; ERR_JOB_NOT_FOUND for none. */
  async record(id: string): Promise<JobRecord> {
    if (typeof id !== 'string' || id === '')
      throw new BulkheadError('ERR_INVALID_ARGUMENT', 'a job id is a non-empty string');
    await this.#o.flushWrites();
    const job = await this.#o.store.get(id);
    if (job === null) throw new BulkheadError('ERR_JOB_NOT_FOUND', `no job with id ${id}`, { id });
    return job;
  }

  /** A stored value (inline, or a stub naming its file) decoded. */
  decode(stored: Uint8Array): unknown {
    return decodeValue(this.#o.files.load(stored));
  }

  view(job: JobRecord, values = true): Job {
    return viewOf(job, (v) => this.decode(v), this.#o.activity.latest(job.id), values);
  }

  async get<I = unknown, O = unknown>(id: string): Promise<Job<I, O>> {
    return this.view(await this.record(id)) as Job<I, O>;
  }

  /**
   * Jobs by `filter`, newest first. `values: false` leaves every job's input and result `null`
   * unread: a listing of large jobs (values kept as files) then reads none of them.
   */
  async list(
    filter: JobFilter = {},
    options: { values?: boolean } = {},
  ): Promise<{ jobs: Job[]; next: string | null }> {
    const page = await this.#o.store.list(filter);
    const values = options.values ?? true;
    return { jobs: page.jobs.map((j) => this.view(j, values)), next: page.next };
  }

  /** The job's result; rejects with the job's error if it failed or was cancelled, ERR_INVALID_ARGUMENT if not finished. */
  async result<O = unknown>(id: string): Promise<O> {
    return outcomeOf(await this.record(id), (v) => this.decode(v)) as O;
  }

  /** Resolves with the job once it has finished (whatever the outcome). */
  async wait<I = unknown, O = unknown>(
    id: string,
    options: { timeout?: number; signal?: AbortSignal } = {},
  ): Promise<Job<I, O>> {
    let job = await this.record(id);
    if (!TERMINAL_STATUSES.includes(job.status)) {
      // It may have finished between the read above and the waiter's registration.
      job = await this.#o.waiters.wait(id, options, (wake) =>
        background(
          this.#o.store.get(id).then((j) => {
            if (j && TERMINAL_STATUSES.includes(j.status)) wake(j);
          }),
        ),
      );
    }
    return this.view(job) as Job<I, O>;
  }

  /** The job's log lines (its own `ctx.log`, and its plugin's output while it ran alone on it). */
  async logs(id: string, limit?: number): Promise<LogEntry[]> {
    await this.record(id);
    this.#o.activity.flushLogs();
    await this.#o.flushWrites();
    return this.#o.store.logs(id, limit);
  }

  async timeline(id: string): Promise<JobEvent[]> {
    return timelineOf(await this.record(id));
  }

  /** Why a pending job is not running yet, in words and as data. */
  async explain(id: string): Promise<Explanation> {
    const job = await this.record(id);
    const { pending, running } = this.#o.dispatcher;
    const entry = job.status === 'pending' ? (pending.get(id) as Waiting | undefined) : undefined;
    const place = entry && {
      ahead: Math.max(0, pending.position(id)),
      running: running.of(job.plugin),
      concurrency: this.#o.runner.concurrencyOf(job.plugin),
      fit: this.#o.scheduler.ledger.fit(entry.needs),
    };
    return explanation(job, place ?? null, this.#o.dispatcher.started);
  }

  /** Running, pending (in order), recent history and resources, for UIs. */
  async snapshot(options: { recent?: number; pending?: number } = {}): Promise<QueueSnapshot> {
    const pendingIds = this.#o.dispatcher.pending
      .entries()
      .slice(0, options.pending ?? 100)
      .map((e) => e.id);
    const [running, pending, recent] = await Promise.all([
      Promise.all(this.#o.dispatcher.running.ids().map((id) => this.#o.store.get(id))),
      Promise.all(pendingIds.map((id) => this.#o.store.get(id))),
      this.#o.store.list({ status: ['completed', 'failed', 'cancelled'], limit: options.recent ?? 20 }),
    ]);
    const live = (j: JobRecord | null): j is JobRecord => j !== null;
    return {
      time: this.#o.now(),
      running: running.filter(live).map((j) => this.view(j)),
      pending: pending.filter(live).map((j) => this.view(j)),
      // The store pages by creation; history reads best by when jobs finished.
      recent: recent.jobs.sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0)).map((j) => this.view(j)),
      resources: this.#o.scheduler.ledger.view(),
      policy: this.#o.scheduler.policy,
    };
  }
}
