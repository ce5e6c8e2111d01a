/**
 * JobQueue: durable jobs for plugins, run concurrently where resources allow.
 *
 * Submitted jobs are written to the store before `submit` returns. A dispatcher walks the pending
 * jobs in order (priority, then rank) on every change and starts each one whose plugin has a free
 * slot (manifest `concurrency`, default 1) and whose resources the scheduler admits; a job that
 * does not fit waits (policy `queue`), fails (`safety`), or runs anyway (`permissive`), and smaller
 * jobs behind it may start meanwhile. Writes made in the same tick are group-committed: a job's
 * "completed" and the next job's "running" share one fsync.
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
import { BulkheadError, ERROR_CODES, isBulkheadError, isRetryable, toBulkheadError } from '@bulkhead/sdk/errors';
import type { ControlServer } from '../control/server.js';
import type { PluginManager } from '../manager/plugin-manager.js';
import { describeIssues, validateAgainstSchema } from '../manifest/index.js';
import type { LogEntry } from '../process/log-buffer.js';
import { hasNeeds, type Reservation, type ResourceNeeds } from '../resources/resource-ledger.js';
import { insufficient, Scheduler } from '../resources/scheduler.js';
import { decodeValue, encodeValue } from './codec.js';
import { GroupCommit } from './group-commit.js';
import { GroupInsert } from './group-insert.js';
import { JobLogBuffer } from './job-log-buffer.js';
import type {
  JobError,
  JobEvent,
  JobFilter,
  JobRecord,
  JobStatus,
  JobStore,
  NewJob,
  RetentionPolicy,
  StoreOp,
} from './job-store.js';
import { TERMINAL_STATUSES } from './job-store.js';
import { type PendingEntry, PendingIndex } from './pending-index.js';
import type { Explanation, Job, JobQueueEvents, JobQueueOptions, QueueSnapshot, SubmitOptions } from './types.js';
import { ValueFiles } from './value-files.js';

interface Running {
  id: string;
  plugin: string;
  attempt: number;
  controller: AbortController;
  reservation: Reservation;
  cancelRequested: boolean;
  startedAt: number;
}

interface Waiting extends PendingEntry {
  attempts: number;
  maxAttempts: number;
  needs: ResourceNeeds;
  timeoutMs: number | null;
  /** The encoded input when small and known (submitted here), saving a read at start. */
  input: Uint8Array | null;
}

/** Inputs up to this size are kept in memory with their pending entry. */
const INPUT_CACHE_BYTES = 16 * 1024;

const LOG_FLUSH_MS = 100;
const PROGRESS_FLUSH_MS = 250;
const LOG_BUFFER_LIMIT = 1000;

export class JobQueue extends EventEmitter<JobQueueEvents> {
  readonly scheduler: Scheduler;
  readonly #manager: PluginManager;
  readonly #store: JobStore;
  readonly #options: JobQueueOptions;
  readonly #pending = new PendingIndex();
  readonly #running = new Map<string, Running>();
  readonly #runningByPlugin = new Map<string, number>();
  /** wait() callers per job: given the finished job, or the error that kept it from being recorded. */
  readonly #settled = new Map<string, Set<(job: JobRecord | Error) => void>>();
  readonly #commits: GroupCommit;
  readonly #inserts: GroupInsert;
  readonly #logs = new JobLogBuffer(LOG_BUFFER_LIMIT);
  #progress = new Map<string, { fraction?: number; message?: string }>();
  #timers: NodeJS.Timeout[] = [];
  #dispatchScheduled = false;
  #waitTimer: NodeJS.Timeout | null = null;
  #started = false;
  #closed = false;
  /** stop() was called: nothing new starts, but running jobs still write their outcomes. */
  #stopping = false;
  #stopDeadline = 0;
  #stopped: Promise<void> = Promise.resolve();
  /** Jobs between their start and their outcome being written. */
  #settling = 0;
  #idle: (() => void)[] = [];
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
    this.#commits = new GroupCommit(store);
    this.#inserts = new GroupInsert(store);
    const s = options.scheduler ?? {};
    this.scheduler = new Scheduler(s.monitor ?? options.manager.monitor, {
      policy: s.policy ?? 'queue',
      ...(s.queueTimeoutMs !== undefined ? { queueTimeoutMs: s.queueTimeoutMs } : {}),
      ...(s.refreshMs !== undefined ? { refreshMs: s.refreshMs } : {}),
    });
    this.#onManagerLog = (e) => this.#pluginOutput(e);
    this.#ownsHome = ownsHome;
    this.#files = new ValueFiles(join(options.manager.home, 'jobs.files'), options.largeValueBytes);
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
    if (this.#started) return;
    // Served first: a socket that cannot be served (another live host on this home) leaves
    // nothing started. Clients that connect meanwhile may submit; dispatch begins below.
    if (this.#options.control ?? this.#ownsHome) await this.#serveControl();
    this.#started = true;
    // Jobs left by an earlier host are admitted by their plugins' declared resources: without
    // discovery first, those would read as none, and the jobs would run unchecked.
    if (this.#manager.discovery === null) await this.#manager.discover();
    const now = Date.now();
    const ops: StoreOp[] = [];
    for (const job of await this.#store.running()) {
      const detail = `the host stopped while attempt ${job.attempts} ran`;
      ops.push({ op: 'event', id: job.id, event: { at: now, type: 'interrupted', attempt: job.attempts, detail } });
      if (job.attempts < job.maxAttempts) {
        if (job.startedAt !== null) {
          ops.push({ op: 'event', id: job.id, event: { at: job.startedAt, type: 'started', attempt: job.attempts } });
        }
        ops.push({ op: 'update', id: job.id, patch: { status: 'pending', progress: null }, ifStatus: ['running'] });
        ops.push({ op: 'event', id: job.id, event: { at: now, type: 'retrying', attempt: job.attempts + 1 } });
      } else {
        const error = new BulkheadError(
          'ERR_JOB_INTERRUPTED',
          `job interrupted: ${detail}, and it had no attempts left`,
          {
            attempts: job.attempts,
          },
        ).toJSON();
        ops.push({
          op: 'update',
          id: job.id,
          patch: { status: 'failed', error, finishedAt: now },
          ifStatus: ['running'],
        });
        ops.push({ op: 'event', id: job.id, event: { at: now, type: 'failed', detail: error.message } });
      }
    }
    if (ops.length > 0) await this.#store.batch(ops);
    // Jobs submitted before start() are already here, with what submit knew (resource overrides).
    for (const job of await this.#store.pending()) if (!this.#pending.has(job.id)) this.#pending.add(this.#entry(job));
    // A measurement (which runs nvidia-smi: tens of ms on a GPU machine) is waited for only when a
    // job needs one to be admitted; jobs that declare no resources start without it.
    if ((this.#pending.entries() as readonly Waiting[]).some((e) => hasNeeds(e.needs))) await this.scheduler.fresh();
    else
      void this.scheduler.fresh().then(
        () => this.#dispatchSoon(),
        () => {},
      );
    this.#manager.on('log', this.#onManagerLog);
    this.#timers.push(setInterval(() => this.#flushLogs(), LOG_FLUSH_MS));
    this.#timers.push(setInterval(() => this.#flushProgress(), PROGRESS_FLUSH_MS));
    this.#timers.push(setInterval(() => void this.prune().catch(() => {}), 60_000));
    // Value files left by a host that died between writing one and committing its job.
    void this.sweepFiles().catch(() => {});
    for (const t of this.#timers) t.unref();
    this.#dispatchSoon();
  }

  /**
   * Stops taking jobs. With `drain`, first runs every pending job to its end. Running jobs are
   * waited for (up to `timeoutMs`, default 30 s), their outcomes written; any still running then
   * go back to `pending` without the attempt counting (timeline: interrupted), for the next start.
   * A second call while stopping can only shorten the wait.
   */
  async stop(options: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    if (this.#stopping) {
      // Already stopping: a second call may only shorten the wait (a user who will not wait longer).
      this.#stopDeadline = Math.min(this.#stopDeadline, Date.now() + (options.timeoutMs ?? 30_000));
      return this.#stopped;
    }
    if (options.drain && this.#started) {
      await new Promise<void>((resolve) => {
        if (this.#pending.size === 0 && this.#running.size === 0) resolve();
        else this.#idle.push(resolve);
      });
    }
    // Running jobs get until the deadline to end, and their outcomes are written: the store
    // closes only after. Nothing new starts meanwhile.
    this.#stopping = true;
    this.#stopDeadline = Date.now() + (options.timeoutMs ?? 30_000);
    this.#stopped = this.#close();
    return this.#stopped;
  }

  async #serveControl(): Promise<void> {
    const [{ serveControl }, { LocalQueueClient }] = await Promise.all([
      import('../control/server.js'),
      import('../control/local-client.js'),
    ]);
    const client = new LocalQueueClient({ queue: this, manager: this.#manager });
    this.#control = await serveControl({ client, home: this.#manager.home });
  }

  async #close(): Promise<void> {
    while (this.#running.size > 0 && Date.now() < this.#stopDeadline) await sleep(20);
    // Jobs still running were stopped on purpose, not by a fault of theirs: they go back to
    // pending with the attempt not counted, first in line for the next host.
    const now = Date.now();
    const requeue: StoreOp[] = [];
    for (const run of this.#running.values()) {
      const detail = 'its host was stopped; queued again (the attempt does not count)';
      requeue.push(
        {
          op: 'update',
          id: run.id,
          patch: { status: 'pending', attempts: run.attempt - 1, progress: null },
          ifStatus: ['running'],
        },
        { op: 'event', id: run.id, event: { at: now, type: 'interrupted', attempt: run.attempt, detail } },
      );
    }
    if (requeue.length > 0) await this.#write(requeue);
    await this.#flushWrites();
    // The socket closes once running jobs have ended or gone back to pending: a command watching
    // one sees it end, or takes over (becomes the host) just as the database is let go below.
    await this.#control?.close();
    this.#control = null;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    if (this.#waitTimer) clearTimeout(this.#waitTimer);
    this.#manager.off('log', this.#onManagerLog);
    this.scheduler.close();
    this.#flushLogs();
    this.#flushProgress();
    await this.#flushWrites();
    for (const [id, waiters] of this.#settled) {
      for (const w of waiters) w({ id } as JobRecord);
    }
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
    const now = Date.now();
    const fresh: NewJob[] = [];
    const plans: Omit<Waiting, 'rank'>[] = [];
    for (const { plugin, input, options = {} } of jobs) {
      const { needs } = await this.#checkSubmit(plugin, input, options);
      const id = crypto.randomUUID(); // the global Web Crypto: cheaper to first use than importing node:crypto
      fresh.push({
        id,
        plugin,
        input: await this.#files.keep(id, 'input', encodeValue(input)),
        priority: options.priority ?? 0,
        idempotencyKey: options.idempotencyKey ?? null,
        maxAttempts: options.maxAttempts ?? this.#options.maxAttempts ?? 1,
        timeoutMs: options.timeout ?? null,
        createdAt: now,
      });
      plans.push({
        id,
        plugin,
        priority: options.priority ?? 0,
        waitingSince: null,
        attempts: 0,
        maxAttempts: 1,
        needs,
        timeoutMs: null,
        input: null,
      });
    }
    let stored: JobRecord[];
    try {
      stored = await this.#inserts.insert(fresh);
    } finally {
      for (const job of fresh) this.#files.settled(job.input);
    }
    const ids: string[] = [];
    stored.forEach((record, i) => {
      ids.push(record.id);
      // A repeated idempotency key returns the first job: nothing new to queue.
      if (record.id !== fresh[i]?.id) {
        void this.#files.discard(fresh[i]?.input ?? new Uint8Array()).catch(() => {});
        return;
      }
      if (record.status === 'pending') this.#pending.add(this.#entry(record, plans[i]?.needs, fresh[i]?.input));
      this.emit('submitted', { id: record.id, plugin: record.plugin, priority: record.priority });
    });
    this.#dispatchSoon();
    return ids;
  }

  async #checkSubmit(plugin: string, input: unknown, options: SubmitOptions): Promise<{ needs: ResourceNeeds }> {
    if (
      options.timeout !== undefined &&
      !(Number.isFinite(options.timeout) && options.timeout > 0 && options.timeout <= 2 ** 31 - 1)
    ) {
      throw new BulkheadError(
        'ERR_INVALID_ARGUMENT',
        `"timeout" must be a positive number of ms (got ${options.timeout})`,
      );
    }
    if (options.maxAttempts !== undefined && !(Number.isSafeInteger(options.maxAttempts) && options.maxAttempts >= 1)) {
      throw new BulkheadError(
        'ERR_INVALID_ARGUMENT',
        `"maxAttempts" must be an integer ≥ 1 (got ${options.maxAttempts})`,
      );
    }
    if (options.priority !== undefined && !Number.isFinite(options.priority)) {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', `"priority" must be a finite number (got ${options.priority})`);
    }
    if (
      options.idempotencyKey !== undefined &&
      (typeof options.idempotencyKey !== 'string' || options.idempotencyKey === '')
    ) {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', '"idempotencyKey" must be a non-empty string');
    }
    let info = this.#manager.get(plugin);
    if (info === undefined) {
      await this.#manager.discover();
      info = this.#manager.get(plugin);
    }
    if (info === undefined)
      throw new BulkheadError('ERR_UNKNOWN_PLUGIN', `no plugin named "${plugin}"`, { name: plugin });
    if (!info.enabled)
      throw new BulkheadError('ERR_PLUGIN_DISABLED', `plugin "${plugin}" is disabled; enable it first`, {
        name: plugin,
      });
    const schema = this.#manager.inputSchemaOf(plugin);
    if (schema) {
      const issues = validateAgainstSchema(schema, input);
      if (issues.length > 0) {
        const list = describeIssues(issues);
        throw new BulkheadError('ERR_INPUT_INVALID', `input for plugin "${plugin}" is invalid: ${list}`, { issues });
      }
    }
    const needs = { ...this.#manager.resourcesOf(plugin), ...options.resources };
    if (hasNeeds(needs)) {
      // Even `permissive` needs a measurement for a job with needs: it still reserves GPUs by it.
      await this.scheduler.fresh();
      const policy = this.scheduler.policy;
      if (policy !== 'permissive') {
        const possible = this.scheduler.ledger.possible(needs);
        if (!possible.ok) throw insufficient(possible);
        if (policy === 'safety') {
          const fit = this.scheduler.ledger.fit(needs);
          if (!fit.ok) throw insufficient(fit);
        }
      }
    }
    return { needs };
  }

  // ─── reading ────────────────────────────────────────────────────────────────────────────────

  async get<I = unknown, O = unknown>(id: string): Promise<Job<I, O>> {
    return this.#view(await this.#record(id)) as Job<I, O>;
  }

  /**
   * Jobs by `filter`, newest first. `values: false` leaves every job's input and result `null`
   * unread: a listing of large jobs (values kept as files) then reads none of them.
   */
  async list(
    filter: JobFilter = {},
    options: { values?: boolean } = {},
  ): Promise<{ jobs: Job[]; next: string | null }> {
    const page = await this.#store.list(filter);
    const values = options.values ?? true;
    return { jobs: page.jobs.map((j) => this.#view(j, values)), next: page.next };
  }

  /** The job's result; rejects with the job's error if it failed or was cancelled, ERR_INVALID_ARGUMENT if not finished. */
  async result<O = unknown>(id: string): Promise<O> {
    const job = await this.#record(id);
    return this.#outcome(job) as O;
  }

  /** Resolves with the job once it has finished (whatever the outcome). */
  async wait<I = unknown, O = unknown>(
    id: string,
    options: { timeout?: number; signal?: AbortSignal } = {},
  ): Promise<Job<I, O>> {
    let job = await this.#record(id);
    if (!TERMINAL_STATUSES.includes(job.status)) {
      job = await new Promise<JobRecord>((resolve, reject) => {
        const waiters = this.#settled.get(id) ?? new Set();
        this.#settled.set(id, waiters);
        const done = (j: JobRecord | Error) => {
          cleanup();
          if (j instanceof Error) reject(j);
          else if (this.#closed && j.status === undefined)
            reject(new BulkheadError('ERR_QUEUE_CLOSED', 'the job queue was stopped'));
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
        // It may have finished between the read above and now.
        this.#background(
          this.#store.get(id).then((j) => {
            if (j && TERMINAL_STATUSES.includes(j.status)) done(j);
          }),
        );
      });
    }
    return this.#view(job) as Job<I, O>;
  }

  /** The job's log lines (its own `ctx.log`, and its plugin's output while it ran alone on it). */
  async logs(id: string, limit?: number): Promise<LogEntry[]> {
    await this.#record(id);
    this.#flushLogs();
    await this.#flushWrites();
    return this.#store.logs(id, limit);
  }

  async timeline(id: string): Promise<JobEvent[]> {
    return this.#timelineOf(await this.#record(id));
  }

  /** Why a pending job is not running yet, in words and as data. */
  async explain(id: string): Promise<Explanation> {
    const job = await this.#record(id);
    const timeline = this.#timelineOf(job);
    const base = { id, status: job.status, ahead: 0, timeline };
    if (job.status !== 'pending') {
      const message =
        job.status === 'running'
          ? `running (attempt ${job.attempts} of ${job.maxAttempts})`
          : `${job.status}${job.error ? `: ${job.error.message}` : ''}`;
      return { ...base, message, reasons: [] };
    }
    const entry = this.#pending.get(id) as Waiting | undefined;
    const ahead = Math.max(0, this.#pending.position(id));
    const reasons: Explanation['reasons'] = [];
    const words: string[] = [];
    if (entry) {
      const running = this.#runningByPlugin.get(job.plugin) ?? 0;
      const concurrency = this.#manager.concurrencyOf(job.plugin);
      if (running >= concurrency) {
        reasons.push({ kind: 'plugin-busy', plugin: job.plugin, running, concurrency });
        words.push(`plugin "${job.plugin}" is busy (${running} of ${concurrency} slots in use)`);
      }
      const fit = this.scheduler.ledger.fit(entry.needs);
      if (!fit.ok) {
        reasons.push({
          kind: 'resources',
          resource: fit.resource,
          needed: fit.needed,
          free: fit.free,
          unit: fit.unit,
          detail: fit.why,
        });
        words.push(fit.why);
      }
    }
    if (ahead > 0) {
      reasons.push({ kind: 'ahead', jobs: ahead });
      words.push(`${ahead} job${ahead === 1 ? '' : 's'} ahead`);
    }
    if (reasons.length === 0) {
      reasons.push({ kind: 'not-started' });
      words.push(this.#started ? 'about to start' : 'the queue has not been started');
    }
    return { ...base, ahead, message: words.join('; '), reasons };
  }

  /** Running, pending (in order), recent history and resources, for UIs. */
  async snapshot(options: { recent?: number; pending?: number } = {}): Promise<QueueSnapshot> {
    const pendingIds = this.#pending
      .entries()
      .slice(0, options.pending ?? 100)
      .map((e) => e.id);
    const [running, pending, recent] = await Promise.all([
      Promise.all([...this.#running.keys()].map((id) => this.#store.get(id))),
      Promise.all(pendingIds.map((id) => this.#store.get(id))),
      this.#store.list({ status: ['completed', 'failed', 'cancelled'], limit: options.recent ?? 20 }),
    ]);
    const live = (j: JobRecord | null): j is JobRecord => j !== null;
    return {
      time: Date.now(),
      running: running.filter(live).map((j) => this.#view(j)),
      pending: pending.filter(live).map((j) => this.#view(j)),
      // The store pages by creation; history reads best by when jobs finished.
      recent: recent.jobs.sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0)).map((j) => this.#view(j)),
      resources: this.scheduler.ledger.view(),
      policy: this.scheduler.policy,
    };
  }

  // ─── changing ───────────────────────────────────────────────────────────────────────────────

  /**
   * Cancels a job. Pending: removed from the queue. Running: its signal is aborted in the plugin;
   * a plugin that ignores it has its worker killed after `cancelTimeoutMs`. Resolves with the job
   * once it is `cancelled` (a job already finished is returned as it is).
   */
  async cancel(id: string): Promise<Job> {
    const job = await this.#record(id);
    if (TERMINAL_STATUSES.includes(job.status)) return this.#view(job);
    const running = this.#running.get(id);
    if (running) {
      running.cancelRequested = true;
      running.controller.abort(new BulkheadError('ERR_CANCELLED', 'job cancelled', { forced: false }));
      return this.wait(id);
    }
    this.#pending.remove(id);
    const now = Date.now();
    // `running` in the store while this queue holds the store but was never started: its host
    // died and nothing has recovered it. Nothing runs it, so it is cancelled on the spot. (Once
    // started, recovery has dealt with those; a running job missing here is settling.)
    const orphan = job.status === 'running' && !this.#started;
    const [applied] = await this.#write([
      { op: 'update', id, patch: { status: 'cancelled', finishedAt: now }, ifStatus: [orphan ? 'running' : 'pending'] },
    ]);
    if (!applied) {
      // It started meanwhile: now it is a running cancel.
      const started = this.#running.get(id);
      if (started) {
        started.cancelRequested = true;
        started.controller.abort(new BulkheadError('ERR_CANCELLED', 'job cancelled', { forced: false }));
      }
      return this.wait(id);
    }
    const detail = orphan ? 'cancelled after its host went away' : 'cancelled while pending';
    await this.#write([{ op: 'event', id, event: { at: now, type: 'cancelled', detail } }]);
    const done = await this.#record(id);
    this.#finished(done);
    this.emit('cancelled', { id, plugin: job.plugin, forced: false });
    this.#dispatchSoon();
    return this.#view(done);
  }

  /**
   * Moves a pending job: to `position` in the run order (0 = next, among jobs of its priority and
   * above), or to a new `priority` (behind the jobs already there).
   */
  async reorder(id: string, to: { position: number } | { priority: number }): Promise<Job> {
    const job = await this.#record(id);
    const entry = this.#pending.get(id);
    if (job.status !== 'pending' || entry === undefined) {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', `job ${id} is ${job.status}; only pending jobs can be reordered`);
    }
    let priority = entry.priority;
    let rank: number;
    if ('priority' in to) {
      if (!Number.isFinite(to.priority))
        throw new BulkheadError('ERR_INVALID_ARGUMENT', '"priority" must be a finite number');
      priority = to.priority;
      const same = this.#pending.entries().filter((e) => e.priority === priority && e.id !== id);
      rank = (same.at(-1)?.rank ?? entry.rank) + 1;
    } else {
      if (!Number.isSafeInteger(to.position) || to.position < 0) {
        throw new BulkheadError('ERR_INVALID_ARGUMENT', '"position" must be an integer ≥ 0');
      }
      const others = this.#pending.entries().filter((e) => e.id !== id);
      const p = Math.min(to.position, others.length);
      const prev = others[p - 1];
      const next = others[p];
      // Take the priority of the job it lands before (or after, at the end), and a rank between.
      priority = next?.priority ?? prev?.priority ?? priority;
      const lo = prev && prev.priority === priority ? prev.rank : (next?.rank ?? 0) - 2;
      const hi = next && next.priority === priority ? next.rank : lo + 2;
      rank = (lo + hi) / 2;
    }
    const now = Date.now();
    // Move it in memory now, synchronously: a dispatch during the write then sees the new order,
    // and a job it starts meanwhile is never put back.
    this.#pending.add({ ...entry, priority, rank });
    const [applied] = await this.#write([{ op: 'update', id, patch: { priority, rank }, ifStatus: ['pending'] }]);
    if (!applied) throw new BulkheadError('ERR_INVALID_ARGUMENT', `job ${id} started before it could be reordered`);
    await this.#write([{ op: 'event', id, event: { at: now, type: 'reordered', detail: `priority ${priority}` } }]);
    this.#dispatchSoon();
    return this.get(id);
  }

  /**
   * Drops finished jobs beyond the retention policy now (also runs every minute), or, given a
   * policy, beyond that one (`bulkhead jobs prune`); returns how many went.
   */
  async prune(policy?: RetentionPolicy): Promise<number> {
    this.#open();
    const r = this.#options.retention ?? {};
    const p: RetentionPolicy = policy ?? {
      maxCount: r.maxCount ?? 10_000,
      maxAgeMs: r.maxAgeMs ?? 7 * 24 * 3600_000,
      ...(r.maxBytes !== undefined ? { maxBytes: r.maxBytes } : {}),
    };
    const removed = await this.#store.prune(p);
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
    if (typeof prefix !== 'string' || prefix === '') {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', 'a job id (or the start of one) is required');
    }
    if ((await this.#store.get(prefix)) !== null) return prefix;
    const ids = await this.#store.idsWithPrefix(prefix, 6);
    if (ids.length === 1) return ids[0] as string;
    if (ids.length === 0) throw new BulkheadError('ERR_JOB_NOT_FOUND', `no job ${prefix}`, { id: prefix });
    const shown = ids.slice(0, 5).join(', ');
    throw new BulkheadError(
      'ERR_JOB_ID_AMBIGUOUS',
      `job id ${prefix} is ambiguous: ${shown}${ids.length > 5 ? ', …' : ''} start with it`,
      { prefix, candidates: ids.slice(0, 5) },
    );
  }

  // ─── dispatching ────────────────────────────────────────────────────────────────────────────

  #dispatchSoon(): void {
    if (this.#dispatchScheduled || !this.#started || this.#closed || this.#stopping) return;
    this.#dispatchScheduled = true;
    queueMicrotask(() => {
      this.#dispatchScheduled = false;
      this.#dispatch();
    });
  }

  /** One pass over the pending jobs, in order. Synchronous: reads only memory. */
  #dispatch(): void {
    if (this.#closed || this.#stopping) return;
    const now = Date.now();
    const policy = this.scheduler.policy;
    const queueTimeoutMs = this.#options.scheduler?.queueTimeoutMs ?? 600_000;
    let nextDeadline = Number.POSITIVE_INFINITY;
    const concurrency = new Map<string, number>();
    // Plugins with every slot taken: once all plugins that have pending jobs are, stop looking
    // (thousands of queued jobs for busy plugins must not cost a walk of the whole list per change).
    const full = new Set<string>();
    const plugins = this.#pending.plugins;
    const startable: [Waiting, Reservation][] = [];
    /** Jobs this pass is about to start, per plugin: they take slots too. */
    const starting = new Map<string, number>();
    for (const e of this.#pending.entries() as readonly Waiting[]) {
      if (full.size >= plugins) break;
      if (full.has(e.plugin)) continue;
      let limit = concurrency.get(e.plugin);
      if (limit === undefined) {
        try {
          limit = this.#manager.concurrencyOf(e.plugin);
        } catch {
          limit = 1; // plugin vanished: the call fails with ERR_UNKNOWN_PLUGIN, and says so
        }
        concurrency.set(e.plugin, limit);
      }
      const busy = (this.#runningByPlugin.get(e.plugin) ?? 0) + (starting.get(e.plugin) ?? 0);
      if (busy >= limit) {
        full.add(e.plugin);
        continue;
      }
      const r = this.scheduler.tryAcquire(e.id, e.needs);
      if ('id' in r) {
        startable.push([e, r]);
        starting.set(e.plugin, (starting.get(e.plugin) ?? 0) + 1);
        continue;
      }
      if (policy === 'safety') {
        startable.push([e, null as never]);
        this.#background(this.#fail(e, insufficient(r), false));
        continue;
      }
      if (e.waitingSince === null) {
        e.waitingSince = now;
        this.#background(
          this.#write([{ op: 'event', id: e.id, event: { at: now, type: 'waiting-for-resources', detail: r.why } }]),
        );
        this.#background(this.#makeRoom(r));
      }
      const deadline = e.waitingSince + queueTimeoutMs;
      if (now >= deadline) {
        startable.push([e, null as never]);
        this.#background(this.#fail(e, insufficient(r, queueTimeoutMs), false));
        continue;
      }
      nextDeadline = Math.min(nextDeadline, deadline);
    }
    // Change the index only after the walk over it.
    for (const [e, r] of startable) {
      if (r === null) this.#pending.remove(e.id);
      else this.#start(e, r);
    }
    this.#scheduleRecheck(nextDeadline);
    this.#checkIdle();
  }

  /** While jobs wait for resources: look again after a re-measurement, and at the first deadline. */
  #scheduleRecheck(deadline: number): void {
    if (this.#waitTimer) clearTimeout(this.#waitTimer);
    this.#waitTimer = null;
    if (!Number.isFinite(deadline)) return;
    const every = this.#options.scheduler?.refreshMs ?? 1000;
    const delay = Math.max(1, Math.min(every, deadline - Date.now()));
    this.#waitTimer = setTimeout(() => {
      this.#waitTimer = null;
      void this.scheduler.ledger.refresh().then(
        () => this.#dispatchSoon(),
        () => this.#dispatchSoon(),
      );
    }, delay);
    this.#waitTimer.unref();
  }

  async #makeRoom(r: { resource: string; needed: number; free: number }): Promise<void> {
    const shortfall =
      r.resource === 'memoryMB'
        ? { memoryMB: r.needed - r.free }
        : r.resource === 'gpuMemoryMB'
          ? { gpuMemoryMB: r.needed - r.free }
          : null;
    if (shortfall === null) return;
    const evicted = await this.#manager.evictFor(shortfall).catch(() => []);
    if (evicted.length > 0) {
      await this.scheduler.ledger.refresh().catch(() => {});
      this.#dispatchSoon();
    }
  }

  #start(e: Waiting, reservation: Reservation): void {
    this.#pending.remove(e.id);
    if (this.#running.has(e.id)) {
      this.scheduler.release(e.id);
      return;
    }
    const run: Running = {
      id: e.id,
      plugin: e.plugin,
      attempt: e.attempts + 1,
      controller: new AbortController(),
      reservation,
      cancelRequested: false,
      startedAt: Date.now(),
    };
    this.#running.set(e.id, run);
    this.#runningByPlugin.set(e.plugin, (this.#runningByPlugin.get(e.plugin) ?? 0) + 1);
    this.#settling++;
    this.#background(
      this.#run(e, run).finally(() => {
        this.#settling--;
        this.#checkIdle();
      }),
    );
  }

  /** `stop({ drain })` resolves once nothing is pending, running, or being written about. */
  #checkIdle(): void {
    if (this.#pending.size === 0 && this.#running.size === 0 && this.#settling === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /**
   * Work started and not awaited: a failure there (a store error, say) is reported as a process
   * warning instead of crashing the host as an unhandled rejection.
   */
  #background(p: Promise<unknown>): void {
    p.catch((e) => {
      process.emitWarning(`Bulkhead job queue: ${e instanceof Error ? e.message : String(e)}`, 'BulkheadQueueWarning');
    });
  }

  async #run(e: Waiting, run: Running): Promise<void> {
    const { id, plugin } = run;
    const t0 = performance.now();
    let outcome: { ok: true; value: unknown } | { ok: false; error: BulkheadError } | null = null;
    let started = false;
    try {
      const now = run.startedAt;
      // "started" and "completed" are read from startedAt/finishedAt (see #timelineOf): a job that
      // runs once costs two row updates, no event rows.
      const ops: StoreOp[] = [
        {
          op: 'update',
          id,
          patch: { status: 'running', startedAt: now, attempts: run.attempt, progress: null },
          ifStatus: ['pending'],
        },
      ];
      if (!this.#manager.isLoaded(plugin)) ops.push({ op: 'event', id, event: { at: now, type: 'loading-plugin' } });
      let applied: boolean | undefined;
      try {
        [applied] = await this.#write(ops);
      } catch (err) {
        // Not marked running (the store failed): it is still pending there, so it is here too.
        if (!this.#closed) this.#pending.add({ ...e, waitingSince: null });
        throw err;
      }
      if (!applied) return; // cancelled (or gone) in the meantime
      started = true; // from here on, every outcome is settled (recorded), whatever fails
      let input = e.input;
      if (input === null) {
        const job = await this.#store.get(id);
        if (job === null) throw new BulkheadError('ERR_JOB_NOT_FOUND', `job ${id} vanished from the store`, { id });
        input = job.input;
      }
      this.emit('started', { id, plugin, attempt: run.attempt });
      const value = await this.#manager.execute(plugin, this.#decode(input), {
        signal: run.controller.signal,
        ...(e.timeoutMs !== null ? { timeout: e.timeoutMs } : {}),
        cancelGraceMs: this.#options.cancelTimeoutMs ?? 5000,
        onProgress: (p) => {
          const progress = {
            ...(p.fraction !== undefined ? { fraction: p.fraction } : {}),
            ...(p.message !== undefined ? { message: p.message } : {}),
          };
          this.#progress.set(id, progress);
          this.emit('progress', { id, ...progress });
        },
        onLog: (entry) => this.#jobLog(id, entry),
      });
      outcome = { ok: true, value };
    } catch (err) {
      outcome = { ok: false, error: toBulkheadError(err) };
    } finally {
      if (this.#running.get(id) === run) {
        this.scheduler.release(id);
        this.#running.delete(id);
        const n = (this.#runningByPlugin.get(plugin) ?? 1) - 1;
        if (n <= 0) this.#runningByPlugin.delete(plugin);
        else this.#runningByPlugin.set(plugin, n);
      }
    }
    // Start the next job now: its "running" write joins this job's "completed" write in one commit.
    this.#dispatchSoon();
    if (!started || outcome === null) return;
    try {
      await this.#settle(e, run, outcome, performance.now() - t0);
    } catch (err) {
      // The outcome could not be recorded (the store failed): the job stays "running" in the store
      // and is recovered as interrupted by the next start; whoever waits learns why now.
      const error = toBulkheadError(err, 'ERR_STORE_UNAVAILABLE');
      for (const w of [...(this.#settled.get(id) ?? [])]) w(error);
      throw err;
    }
  }

  async #settle(
    e: Waiting,
    run: Running,
    outcome: { ok: true; value: unknown } | { ok: false; error: BulkheadError },
    ms: number,
  ): Promise<void> {
    const { id, plugin } = run;
    // Stopped while it ran (stop's timeout passed): the store is closed; the next start finds
    // the job running and recovers it as interrupted.
    if (this.#closed) return;
    const now = Date.now();
    this.#flushLogs(id);
    // The last progress report, not yet written, goes in with the outcome: a finished job shows
    // where it got to (100 % for most), not the report before last.
    const last = this.#progress.get(id);
    const progress = last ? { progress: last } : {};
    this.#progress.delete(id);
    if (outcome.ok) {
      let result: Uint8Array;
      try {
        result = await this.#files.keep(id, 'result', encodeValue(outcome.value));
      } catch (err) {
        return this.#settle(e, run, { ok: false, error: toBulkheadError(err) }, ms);
      }
      try {
        await this.#write([
          {
            op: 'update',
            id,
            patch: { status: 'completed', result, finishedAt: now, ...progress },
            ifStatus: ['running'],
          },
        ]);
      } finally {
        this.#files.settled(result);
      }
      await this.#finishedById(id);
      this.emit('completed', { id, plugin, ms });
      return;
    }
    const error = outcome.error;
    if (run.cancelRequested) {
      const forced = isBulkheadError(error, 'ERR_CANCELLED') && error.data?.forced === true;
      await this.#write([
        {
          op: 'update',
          id,
          patch: { status: 'cancelled', finishedAt: now, error: error.toJSON(), ...progress },
          ifStatus: ['running'],
        },
        {
          op: 'event',
          id,
          event: {
            at: now,
            type: 'cancelled',
            attempt: run.attempt,
            detail: forced
              ? 'forced: the plugin ignored its signal, its worker was killed'
              : 'the plugin stopped on its signal',
          },
        },
      ]);
      await this.#finishedById(id);
      this.emit('cancelled', { id, plugin, forced });
      return;
    }
    const retry = run.attempt < e.maxAttempts && isRetryable(error.code);
    await this.#fail({ ...e, attempts: run.attempt }, error, retry, run.attempt, run.startedAt);
  }

  /** Ends a job as failed, or puts it back in the queue for another attempt. */
  async #fail(e: Waiting, error: BulkheadError, retry: boolean, attempt?: number, startedAt?: number): Promise<void> {
    const now = Date.now();
    const wire: JobError = error.toJSON();
    if (retry) {
      await this.#write([
        // The next attempt overwrites startedAt: keep this attempt's start as an event.
        { op: 'event', id: e.id, event: { at: startedAt ?? now, type: 'started', attempt: attempt ?? e.attempts } },
        { op: 'update', id: e.id, patch: { status: 'pending', error: wire, progress: null }, ifStatus: ['running'] },
        {
          op: 'event',
          id: e.id,
          event: { at: now, type: 'retrying', attempt: (attempt ?? e.attempts) + 1, detail: wire.message },
        },
      ]);
      this.#pending.add({ ...e, waitingSince: null });
      this.emit('failed', { id: e.id, plugin: e.plugin, error: wire, willRetry: true });
      this.#dispatchSoon();
      return;
    }
    await this.#write([
      {
        op: 'update',
        id: e.id,
        patch: { status: 'failed', error: wire, finishedAt: now },
        ifStatus: ['running', 'pending'],
      },
      {
        op: 'event',
        id: e.id,
        event: { at: now, type: 'failed', ...(attempt ? { attempt } : {}), detail: wire.message },
      },
    ]);
    await this.#finishedById(e.id);
    this.emit('failed', { id: e.id, plugin: e.plugin, error: wire, willRetry: false });
    this.#dispatchSoon();
  }

  /** Wakes wait() callers of a finished job (read back only if someone waits). */
  async #finishedById(id: string): Promise<void> {
    if (!this.#settled.has(id)) return;
    this.#finished(await this.#store.get(id));
  }

  #finished(job: JobRecord | null): void {
    if (job === null) return;
    const waiters = this.#settled.get(job.id);
    if (waiters) for (const w of [...waiters]) w(job);
  }

  // ─── logs and progress ──────────────────────────────────────────────────────────────────────

  #jobLog(id: string, entry: LogEntry): void {
    this.#logs.add(id, entry);
    if (this.listenerCount('log') > 0) this.emit('log', { id, ...entry });
  }

  /** Output lines of a plugin belong to its job when exactly one of its jobs runs. */
  #pluginOutput(e: { name: string } & LogEntry): void {
    if (e.source !== 'stdout' && e.source !== 'stderr') return; // ctx.log entries arrive per call
    if (this.#runningByPlugin.get(e.name) !== 1) return;
    for (const run of this.#running.values()) {
      if (run.plugin === e.name) {
        const { name: _, ...entry } = e;
        this.#jobLog(run.id, entry);
        return;
      }
    }
  }

  #flushLogs(only?: string): void {
    const ops = this.#logs.take(only);
    if (ops.length > 0) void this.#write(ops).catch(() => {});
  }

  #flushProgress(): void {
    if (this.#progress.size === 0) return;
    const ops: StoreOp[] = [];
    for (const [id, progress] of this.#progress)
      ops.push({ op: 'update', id, patch: { progress }, ifStatus: ['running'] });
    this.#progress.clear();
    void this.#write(ops).catch(() => {});
  }

  // ─── storage ────────────────────────────────────────────────────────────────────────────────

  /** Queues writes; everything queued in the same tick is committed together. */
  #write(ops: StoreOp[]): Promise<boolean[]> {
    return this.#commits.write(ops);
  }

  #flushWrites(): Promise<void> {
    return this.#commits.flush();
  }

  async #record(id: string): Promise<JobRecord> {
    if (typeof id !== 'string' || id === '')
      throw new BulkheadError('ERR_INVALID_ARGUMENT', 'a job id is a non-empty string');
    await this.#flushWrites();
    const job = await this.#store.get(id);
    if (job === null) throw new BulkheadError('ERR_JOB_NOT_FOUND', `no job with id ${id}`, { id });
    return job;
  }

  #entry(job: JobRecord, needs?: ResourceNeeds, input?: Uint8Array): Waiting {
    let declared: ResourceNeeds = {};
    try {
      declared = this.#manager.resourcesOf(job.plugin);
    } catch {
      // plugin no longer discovered: the job will fail with ERR_UNKNOWN_PLUGIN when it runs
    }
    return {
      id: job.id,
      plugin: job.plugin,
      priority: job.priority,
      rank: job.rank,
      waitingSince: null,
      attempts: job.attempts,
      maxAttempts: job.maxAttempts,
      needs: needs ?? declared,
      timeoutMs: job.timeoutMs,
      input: input !== undefined && input.byteLength <= INPUT_CACHE_BYTES ? input : null,
    };
  }

  #outcome(job: JobRecord): unknown {
    if (job.status === 'completed') return job.result === null ? null : this.#decode(job.result);
    if (job.status === 'failed' || job.status === 'cancelled') {
      const e = job.error ?? {
        code: job.status === 'cancelled' ? 'ERR_CANCELLED' : 'ERR_INTERNAL',
        message: `job ${job.status}`,
      };
      throw new BulkheadError((e.code in ERROR_CODES ? e.code : 'ERR_INTERNAL') as never, e.message, e.data as never);
    }
    throw new BulkheadError('ERR_INVALID_ARGUMENT', `job ${job.id} is ${job.status}; wait for it first`);
  }

  /**
   * The stored events plus those implied by the row, which are not stored to save writes:
   * queued (createdAt), the current attempt's start (startedAt) and completion (finishedAt).
   */
  #timelineOf(job: JobRecord): JobEvent[] {
    const events: JobEvent[] = [{ at: job.createdAt, type: 'queued' }, ...job.timeline];
    if (
      job.startedAt !== null &&
      job.status !== 'pending' &&
      !job.timeline.some((x) => x.type === 'started' && x.attempt === job.attempts)
    ) {
      events.push({ at: job.startedAt, type: 'started', attempt: job.attempts });
    }
    if (job.status === 'completed' && job.finishedAt !== null)
      events.push({ at: job.finishedAt, type: 'completed', attempt: job.attempts });
    // Stable: for equal times, stored events stay before implied ones (loading-plugin, then started).
    return events.sort((a, b) => a.at - b.at);
  }

  /** A stored value (inline, or a stub naming its file) decoded. */
  #decode(stored: Uint8Array): unknown {
    return decodeValue(this.#files.load(stored));
  }

  #view(job: JobRecord, values = true): Job {
    return {
      id: job.id,
      plugin: job.plugin,
      input: values ? this.#decode(job.input) : null,
      status: job.status,
      priority: job.priority,
      attempts: job.attempts,
      maxAttempts: job.maxAttempts,
      timeoutMs: job.timeoutMs,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      result: job.result === null || !values ? null : this.#decode(job.result),
      error: job.error,
      progress: this.#progress.get(job.id) ?? job.progress,
      timeline: this.#timelineOf(job),
    };
  }

  #open(): void {
    if (this.#closed) throw new BulkheadError('ERR_QUEUE_CLOSED', 'the job queue was stopped');
  }
}

export type { JobStatus };
