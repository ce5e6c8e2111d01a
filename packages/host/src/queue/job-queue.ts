/**
 * JobQueue: durable jobs for plugins, run concurrently where resources allow.
 *
 * Submitted jobs are written to the store before `submit` returns. A dispatcher walks the pending
 * jobs in order (priority, then rank) on every change and starts each one whose plugin has a free
 * slot (manifest `concurrency`, default 1) and whose resources the scheduler admits; a job that
 * does not fit waits (policy `queue`), fails (`safety`), or runs anyway (`permissive`), and smaller
 * jobs behind it may start meanwhile. The parts: submit-checks.ts (what a job must pass),
 * dispatch-plan.ts (what runs next), submit-jobs.ts (storing them), dispatcher.ts (running attempts), settlement.ts and
 * recovery.ts (what is written for each outcome), waiters.ts, views.ts, job-changes.ts (cancel,
 * reorder). Jobs run through a
 * PluginRunner (plugin-runner.ts); consumers use the JobQueueApi (job-queue-api.ts).
 *
 * @example
 * const queue = await JobQueue.open({ manager });
 * queue.start();
 * const id = await queue.submit('transcribe', { file: 'a.wav' }, { priority: 5 });
 * queue.on('progress', (p) => console.log(p.id, p.fraction));
 * const job = await queue.wait(id);
 * @module
 */

import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { ControlServer } from '../control/server.js';
import type { LogEntry } from '../process/log-buffer.js';
import { hasNeeds, type ResourceNeeds } from '../resources/resource-ledger.js';
import type { Scheduler } from '../resources/scheduler.js';
import { type Waiting, waitingEntry } from './dispatch-plan.js';
import { Dispatcher } from './dispatcher.js';
import { GroupCommit } from './group-commit.js';
import { GroupInsert } from './group-insert.js';
import { JobActivity } from './job-activity.js';
import { JobChanges } from './job-changes.js';
import { resolveJobId } from './job-ids.js';
import type { JobQueueApi } from './job-queue-api.js';
import { JobReader } from './job-reader.js';
import type { JobEvent, JobFilter, JobRecord, JobStatus, JobStore, RetentionPolicy, StoreOp } from './job-store.js';
import type { PluginRunner } from './plugin-runner.js';
import { serveQueueControl } from './queue-control.js';
import { retentionOf, schedulerOf } from './queue-defaults.js';
import { handBackOps, recoveryOps } from './recovery.js';
import { DEFAULT_RETRY_BACKOFF } from './retry-policy.js';
import { submitJobs } from './submit-jobs.js';
import type { Explanation, Job, JobQueueEvents, JobQueueOptions, QueueSnapshot, SubmitOptions } from './types.js';
import { ValueFiles } from './value-files.js';
import { Waiters } from './waiters.js';

const LOG_FLUSH_MS = 100;
const PROGRESS_FLUSH_MS = 250;

export class JobQueue extends EventEmitter<JobQueueEvents> implements JobQueueApi {
  readonly scheduler: Scheduler;
  readonly #manager: PluginRunner;
  readonly #store: JobStore;
  readonly #options: JobQueueOptions;
  readonly #now: () => number;
  readonly #commits: GroupCommit;
  readonly #inserts: GroupInsert;
  readonly #waiters = new Waiters();
  readonly #activity: JobActivity;
  readonly #jobs: Dispatcher;
  readonly #reads: JobReader;
  readonly #changes: JobChanges;
  #timers: NodeJS.Timeout[] = [];
  #stopDeadline = 0;
  #stopped: Promise<void> = Promise.resolve();
  readonly #onManagerLog: (e: { name: string } & LogEntry) => void;
  /** The queue owns `<home>/jobs.db` (no store was given): it serves the home's control socket. */
  readonly #ownsHome: boolean;
  #control: ControlServer | null = null;
  /** Large inputs and results, as files beside the job database. */
  readonly #files: ValueFiles;

  private constructor(options: JobQueueOptions, store: JobStore, ownsHome: boolean) {
    super();
    this.#options = options;
    this.#manager = options.manager;
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#commits = new GroupCommit(store);
    this.#inserts = new GroupInsert(store);
    const s = options.scheduler ?? {};
    this.scheduler = schedulerOf(options);
    this.#ownsHome = ownsHome;
    this.#files = new ValueFiles(join(options.manager.home, 'jobs.files'), options.largeValueBytes);
    this.#activity = new JobActivity((ops) => this.#write(ops));
    this.#jobs = new Dispatcher({
      runner: this.#manager,
      scheduler: this.scheduler,
      store,
      files: this.#files,
      waiters: this.#waiters,
      activity: this.#activity,
      events: this,
      write: (ops) => this.#write(ops),
      decode: (stored) => this.#reads.decode(stored),
      now: this.#now,
      queueTimeoutMs: s.queueTimeoutMs ?? 600_000,
      refreshMs: s.refreshMs ?? 1000,
      cancelGraceMs: options.cancelTimeoutMs ?? 5000,
      retryBackoff: { ...DEFAULT_RETRY_BACKOFF, ...options.retryBackoff },
    });
    this.#reads = new JobReader({
      store,
      files: this.#files,
      waiters: this.#waiters,
      activity: this.#activity,
      dispatcher: this.#jobs,
      runner: this.#manager,
      scheduler: this.scheduler,
      flushWrites: () => this.#flushWrites(),
      now: this.#now,
    });
    this.#changes = new JobChanges({
      reads: this.#reads,
      dispatcher: this.#jobs,
      waiters: this.#waiters,
      events: this,
      write: (ops) => this.#write(ops),
      now: this.#now,
      wait: (id) => this.wait(id),
      get: (id) => this.get(id),
    });
    this.#onManagerLog = (e) => this.#jobs.pluginOutput(e);
  }

  /** The home's control socket while this queue serves it (from `start()` to `stop()`), else null. */
  get control(): ControlServer | null {
    return this.#control;
  }

  /** Opens the store (SQLite at `<home>/jobs.db` unless one is given). */
  static async open(options: JobQueueOptions): Promise<JobQueue> {
    let store = options.store;
    const ownsHome = store === undefined;
    if (store === undefined) {
      const { SqliteJobStore } = await import('./sqlite/index.js');
      store = await SqliteJobStore.open(join(options.manager.home, 'jobs.db'), {
        durability: options.durability ?? 'fsync',
      });
    }
    return new JobQueue(options, store, ownsHome);
  }

  // ─── lifecycle ──────────────────────────────────────────────────────────────────────────────

  /**
   * Recovers jobs that were running when the last host died (retried if attempts remain, else
   * failed as ERR_JOB_INTERRUPTED), loads the pending ones, and starts dispatching.
   */
  async start(): Promise<void> {
    this.#open();
    if (this.#jobs.started) return;
    // Served first: a socket that cannot be served (another live host on this home) leaves
    // nothing started. Clients that connect meanwhile may submit; dispatch begins below.
    if (this.#options.control ?? this.#ownsHome) this.#control = await serveQueueControl(this, this.#manager);
    this.#jobs.started = true;
    // Jobs left by an earlier host are admitted by their plugins' declared resources: without
    // discovery first, those would read as none, and the jobs would run unchecked.
    if (this.#manager.discovery === null) await this.#manager.discover();
    const ops = recoveryOps(await this.#store.running(), this.#now());
    if (ops.length > 0) await this.#store.batch(ops);
    // Jobs submitted before start() are already here, with what submit knew (resource overrides).
    const { pending } = this.#jobs;
    for (const job of await this.#store.pending()) if (!pending.has(job.id)) pending.add(this.#entry(job));
    // A measurement (which runs nvidia-smi: tens of ms on a GPU machine) is waited for only when a
    // job needs one to be admitted; jobs that declare no resources start without it.
    if ((pending.entries() as readonly Waiting[]).some((e) => hasNeeds(e.needs))) await this.scheduler.fresh();
    else
      void this.scheduler.fresh().then(
        () => this.#jobs.soon(),
        () => {},
      );
    this.#manager.on('log', this.#onManagerLog);
    this.#timers.push(setInterval(() => this.#activity.flushLogs(), LOG_FLUSH_MS));
    this.#timers.push(setInterval(() => this.#activity.flushProgress(), PROGRESS_FLUSH_MS));
    this.#timers.push(setInterval(() => void this.prune().catch(() => {}), 60_000));
    // Value files left by a host that died between writing one and committing its job.
    void this.sweepFiles().catch(() => {});
    for (const t of this.#timers) t.unref();
    this.#jobs.soon();
  }

  /**
   * Stops taking jobs. With `drain`, first runs every pending job to its end. Running jobs are
   * waited for (up to `timeoutMs`, default 30 s), their outcomes written; any still running then
   * go back to `pending` without the attempt counting (timeline: interrupted), for the next start.
   * A second call while stopping can only shorten the wait.
   */
  async stop(options: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.#jobs.closed) return;
    if (this.#jobs.stopping) {
      // Already stopping: a second call may only shorten the wait (a user who will not wait longer).
      this.#stopDeadline = Math.min(this.#stopDeadline, Date.now() + (options.timeoutMs ?? 30_000));
      return this.#stopped;
    }
    if (options.drain && this.#jobs.started) await this.#jobs.idle();
    // Running jobs get until the deadline to end, and their outcomes are written: the store
    // closes only after. Nothing new starts meanwhile.
    this.#jobs.stopping = true;
    this.#stopDeadline = Date.now() + (options.timeoutMs ?? 30_000);
    this.#stopped = this.#close();
    return this.#stopped;
  }

  async #close(): Promise<void> {
    // Wall-clock time, not the injected clock: this is a real wait for real workers.
    while (this.#jobs.running.size > 0 && Date.now() < this.#stopDeadline) await sleep(20);
    const requeue = handBackOps(this.#jobs.running.values(), this.#now());
    if (requeue.length > 0) await this.#write(requeue);
    await this.#flushWrites();
    // The socket closes once running jobs have ended or gone back to pending: a command watching
    // one sees it end, or takes over (becomes the host) just as the database is let go below.
    await this.#control?.close();
    this.#control = null;
    this.#jobs.closed = true;
    this.#jobs.unwritten.clear();
    for (const t of this.#timers) clearInterval(t);
    this.#jobs.close();
    this.#manager.off('log', this.#onManagerLog);
    this.scheduler.close();
    this.#activity.flushLogs();
    this.#activity.flushProgress();
    await this.#flushWrites();
    this.#waiters.closeAll(new BulkheadError('ERR_QUEUE_CLOSED', 'the job queue was stopped'));
    await this.#store.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  // ─── submitting ─────────────────────────────────────────────────────────────────────────────

  /** Validates and durably stores one job; returns its id (the first job's, for a repeated idempotency key). */
  async submit(plugin: string, input: unknown, options: SubmitOptions = {}): Promise<string> {
    const [id] = await this.submitMany([{ plugin, input, options }]);
    return id as string;
  }

  /** Several jobs in one durable write (all or none). */
  async submitMany(jobs: { plugin: string; input: unknown; options?: SubmitOptions }[]): Promise<string[]> {
    this.#open();
    return submitJobs(
      {
        runner: this.#manager,
        scheduler: this.scheduler,
        files: this.#files,
        inserts: this.#inserts,
        dispatcher: this.#jobs,
        events: this,
        now: this.#now,
        maxAttempts: this.#options.maxAttempts ?? 1,
        entry: (job, needs, input) => this.#entry(job, needs, input),
      },
      jobs,
    );
  }

  // ─── reading (job-reader.ts) ───────────────────────────────────────────────────────────────

  get<I = unknown, O = unknown>(id: string): Promise<Job<I, O>> {
    return this.#reads.get<I, O>(id);
  }

  /**
   * Jobs by `filter`, newest first. `values: false` leaves every job's input and result `null`
   * unread: a listing of large jobs (values kept as files) then reads none of them.
   */
  list(filter?: JobFilter, options?: { values?: boolean }): Promise<{ jobs: Job[]; next: string | null }> {
    return this.#reads.list(filter, options);
  }

  /** The job's result; rejects with the job's error if it failed or was cancelled, ERR_INVALID_ARGUMENT if not finished. */
  result<O = unknown>(id: string): Promise<O> {
    return this.#reads.result<O>(id);
  }

  /** Resolves with the job once it has finished (whatever the outcome). */
  wait<I = unknown, O = unknown>(id: string, options?: { timeout?: number; signal?: AbortSignal }): Promise<Job<I, O>> {
    return this.#reads.wait<I, O>(id, options);
  }

  /** The job's log lines (its own `ctx.log`, and its plugin's output while it ran alone on it). */
  logs(id: string, limit?: number): Promise<LogEntry[]> {
    return this.#reads.logs(id, limit);
  }

  timeline(id: string): Promise<JobEvent[]> {
    return this.#reads.timeline(id);
  }

  /** Why a pending job is not running yet, in words and as data. */
  explain(id: string): Promise<Explanation> {
    return this.#reads.explain(id);
  }

  /** Running, pending (in order), recent history and resources, for UIs. */
  snapshot(options?: { recent?: number; pending?: number }): Promise<QueueSnapshot> {
    return this.#reads.snapshot(options);
  }

  // ─── changing ───────────────────────────────────────────────────────────────────────────────

  /**
   * Cancels a job. Pending: removed from the queue. Running: its signal is aborted in the plugin;
   * a plugin that ignores it has its worker killed after `cancelTimeoutMs` (job-changes.ts).
   */
  cancel(id: string): Promise<Job> {
    return this.#changes.cancel(id);
  }

  /** Moves a pending job to `position` in the run order, or to a new `priority` (job-changes.ts). */
  reorder(id: string, to: { position: number } | { priority: number }): Promise<Job> {
    return this.#changes.reorder(id, to);
  }

  /**
   * Drops finished jobs beyond the retention policy now (also runs every minute), or, given a
   * policy, beyond that one (`bulkhead jobs prune`); returns how many went.
   */
  async prune(policy?: RetentionPolicy): Promise<number> {
    this.#open();
    const removed = await this.#store.prune(policy ?? retentionOf(this.#options));
    // Their value files go with them.
    if (removed > 0) await this.sweepFiles();
    return removed;
  }

  /** Removes value files whose job is gone (pruned, or never committed); returns how many. */
  async sweepFiles(): Promise<number> {
    return this.#files.sweep(async (id) => (await this.#store.get(id)) !== null);
  }

  /**
   * The full id of the one job whose id starts with `prefix` (an id is its own prefix), as git
   * and docker accept abbreviated ids. Rejects with ERR_JOB_NOT_FOUND for none, and
   * ERR_JOB_ID_AMBIGUOUS (with the candidates) for several.
   */
  async resolveId(prefix: string): Promise<string> {
    this.#open();
    return resolveJobId(this.#store, prefix);
  }

  // ─── storage ────────────────────────────────────────────────────────────────────────────────

  /** Queues writes; everything queued in the same tick is committed together. */
  #write(ops: StoreOp[]): Promise<boolean[]> {
    return this.#commits.write(ops);
  }

  #flushWrites(): Promise<void> {
    return this.#commits.flush();
  }

  #entry(job: JobRecord, needs?: ResourceNeeds, input?: Uint8Array): Waiting {
    return waitingEntry(job, () => this.#manager.resourcesOf(job.plugin), needs, input);
  }

  #open(): void {
    if (this.#jobs.closed) throw new BulkheadError('ERR_QUEUE_CLOSED', 'the job queue was stopped');
  }
}

export type { JobStatus };
