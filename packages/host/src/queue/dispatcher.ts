/**
 * The queue's engine: keeps the pending and running jobs, applies each dispatch plan
 * (dispatch-plan.ts) on every change, runs each attempt on its plugin through the PluginRunner,
 * and records its outcome (settlement.ts). Writes made in the same tick are group-committed, so a
 * job's "completed" and the next job's "running" share one fsync.
 * @module
 */

import type { EventEmitter } from 'node:events';
import { BulkheadError, isBulkheadError, toBulkheadError } from '@bulkhead/sdk/errors';
import { isDiskFull } from '../disk/disk-full.js';
import type { Availability } from '../manager/circuit-breaker.js';
import type { LogEntry } from '../process/log-buffer.js';
import type { Scheduler } from '../resources/scheduler.js';
import { encodeValue } from './codec.js';
import { planDispatch, type Shortfall, type Waiting } from './dispatch-plan.js';
import type { JobActivity } from './job-activity.js';
import type { JobStore, StoreOp } from './job-store.js';
import { PendingIndex } from './pending-index.js';
import type { PluginRunner } from './plugin-runner.js';
import { attemptNotCounted, type RetryBackoff, retryDelay } from './retry-policy.js';
import { type Running, RunningJobs } from './running-jobs.js';
import {
  cancelledOps,
  completedOps,
  failedOps,
  requeueUncountedOps,
  retryOps,
  startedOps,
  willRetry,
} from './settlement.js';
import type { JobQueueEvents } from './types.js';
import { UnwrittenOutcomes } from './unwritten-outcomes.js';
import type { ValueFiles } from './value-files.js';
import type { Waiters } from './waiters.js';

export interface DispatcherOptions {
  runner: PluginRunner;
  scheduler: Scheduler;
  store: JobStore;
  files: ValueFiles;
  waiters: Waiters;
  activity: JobActivity;
  /** The queue: its events are emitted here. */
  events: EventEmitter<JobQueueEvents>;
  write(ops: StoreOp[]): Promise<boolean[]>;
  /** Decodes a stored value (inline, or a stub naming its file). */
  decode(stored: Uint8Array): unknown;
  now(): number;
  queueTimeoutMs: number;
  refreshMs: number;
  cancelGraceMs: number;
  retryBackoff: RetryBackoff;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: BulkheadError };

/**
 * Work started and not awaited: a failure there (a store error, say) is reported as a process
 * warning instead of crashing the host as an unhandled rejection.
 */
export function background(p: Promise<unknown>): void {
  p.catch((e) => {
    process.emitWarning(`Bulkhead job queue: ${e instanceof Error ? e.message : String(e)}`, 'BulkheadQueueWarning');
  });
}

export class Dispatcher {
  readonly pending = new PendingIndex();
  readonly running = new RunningJobs();
  /** Outcomes a full disk kept from the store (unwritten-outcomes.ts). */
  readonly unwritten = new UnwrittenOutcomes();
  readonly #o: DispatcherOptions;
  #scheduled = false;
  #recheck: NodeJS.Timeout | null = null;
  /** Dispatching: set by the queue's start(). */
  started = false;
  /** Nothing new starts (stop() was called); running jobs still write their outcomes. */
  stopping = false;
  /** The store is closed: outcomes are no longer written. */
  closed = false;
  /** Jobs between their start and their outcome being written. */
  #settling = 0;
  #idle: (() => void)[] = [];

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  /** Dispatches once, at the end of this tick, however many changes ask for it. */
  soon(): void {
    if (this.#scheduled || !this.started || this.closed || this.stopping) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#dispatch();
    });
  }

  /** Resolves once nothing is pending, running, or being written about (`stop({ drain })`). */
  idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.pending.size === 0 && this.running.size === 0) resolve();
      else this.#idle.push(resolve);
    });
  }

  close(): void {
    if (this.#recheck) clearTimeout(this.#recheck);
    this.#recheck = null;
  }

  /** One pass over the pending jobs, in order. Synchronous: reads only memory. */
  #dispatch(): void {
    if (this.closed || this.stopping) return;
    const { scheduler, runner } = this.#o;
    const plan = planDispatch({
      pending: this.pending.entries() as readonly Waiting[],
      plugins: this.pending.plugins,
      runningOf: (plugin) => this.running.of(plugin),
      concurrencyOf: (plugin) => runner.concurrencyOf(plugin),
      circuitOf: (plugin) => this.circuitOf(plugin),
      tryAcquire: (id, needs) => scheduler.tryAcquire(id, needs),
      policy: scheduler.policy,
      queueTimeoutMs: this.#o.queueTimeoutMs,
      now: this.#o.now(),
    });
    for (const { job, shortfall } of plan.waiting) {
      const event = { at: job.waitingSince as number, type: 'waiting-for-resources' as const, detail: shortfall.why };
      background(this.#o.write([{ op: 'event', id: job.id, event }]));
      background(this.#makeRoom(shortfall));
    }
    for (const { job, error } of plan.fail) background(this.fail(job, error));
    // Change the index only after the walk over it.
    for (const { job } of plan.fail) this.pending.remove(job.id);
    for (const { job, reservation } of plan.start) this.#start(job, reservation);
    this.#scheduleRecheck(plan.nextDeadline);
    this.#checkIdle();
  }

  /** Whether the plugin's circuit lets its jobs through (closed for a runner without breakers). */
  circuitOf(plugin: string): Availability {
    try {
      return this.#o.runner.availability?.(plugin) ?? { state: 'closed', retryAt: null };
    } catch {
      return { state: 'closed', retryAt: null };
    }
  }

  /** While jobs wait for resources: look again after a re-measurement, and at the first deadline. */
  #scheduleRecheck(deadline: number): void {
    this.close();
    if (!Number.isFinite(deadline)) return;
    const delay = Math.max(1, Math.min(this.#o.refreshMs, deadline - this.#o.now()));
    this.#recheck = setTimeout(() => {
      this.#recheck = null;
      void this.#o.scheduler.ledger.refresh().then(
        () => this.soon(),
        () => this.soon(),
      );
    }, delay);
    this.#recheck.unref();
  }

  /** Memory or GPU memory short: idle plugins holding some are unloaded, and dispatch looks again. */
  async #makeRoom(r: Shortfall): Promise<void> {
    const shortfall =
      r.resource === 'memoryMB'
        ? { memoryMB: r.needed - r.free }
        : r.resource === 'gpuMemoryMB'
          ? { gpuMemoryMB: r.needed - r.free }
          : null;
    if (shortfall === null) return;
    const evicted = await this.#o.runner.evictFor(shortfall).catch(() => []);
    if (evicted.length > 0) {
      await this.#o.scheduler.ledger.refresh().catch(() => {});
      this.soon();
    }
  }

  #start(e: Waiting, reservation: Running['reservation']): void {
    this.pending.remove(e.id);
    if (this.running.has(e.id)) {
      this.#o.scheduler.release(e.id);
      return;
    }
    const run: Running = {
      id: e.id,
      plugin: e.plugin,
      attempt: e.attempts + 1,
      controller: new AbortController(),
      reservation,
      cancelRequested: false,
      startedAt: this.#o.now(),
    };
    this.running.add(run);
    this.#settling++;
    background(
      this.#run(e, run).finally(() => {
        this.#settling--;
        this.#checkIdle();
      }),
    );
  }

  #checkIdle(): void {
    if (this.pending.size === 0 && this.running.size === 0 && this.#settling === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  async #run(e: Waiting, run: Running): Promise<void> {
    const { id, plugin } = run;
    const { runner, events } = this.#o;
    const t0 = performance.now();
    let outcome: Outcome | null = null;
    let started = false;
    try {
      let applied: boolean | undefined;
      try {
        [applied] = await this.#o.write(startedOps(id, run.attempt, run.startedAt, !runner.isLoaded(plugin)));
      } catch (err) {
        // Not marked running (the store failed): it is still pending there, so it is here too.
        if (!this.closed) this.pending.add({ ...e, waitingSince: null });
        throw err;
      }
      if (!applied) return; // cancelled (or gone) in the meantime
      started = true; // from here on, every outcome is settled (recorded), whatever fails
      let input = e.input;
      if (input === null) {
        const job = await this.#o.store.get(id);
        if (job === null) throw new BulkheadError('ERR_JOB_NOT_FOUND', `job ${id} vanished from the store`, { id });
        input = job.input;
      }
      events.emit('started', { id, plugin, attempt: run.attempt });
      const value = await runner.execute(plugin, this.#o.decode(input), {
        signal: run.controller.signal,
        ...(e.timeoutMs !== null ? { timeout: e.timeoutMs } : {}),
        cancelGraceMs: this.#o.cancelGraceMs,
        onProgress: (p) => {
          const progress = {
            ...(p.fraction !== undefined ? { fraction: p.fraction } : {}),
            ...(p.message !== undefined ? { message: p.message } : {}),
          };
          this.#o.activity.progress(id, progress);
          events.emit('progress', { id, ...progress });
        },
        onLog: (entry) => this.jobLog(id, entry),
      });
      outcome = { ok: true, value };
    } catch (err) {
      outcome = { ok: false, error: toBulkheadError(err) };
    } finally {
      if (this.running.delete(run)) this.#o.scheduler.release(id);
    }
    // Start the next job now: its "running" write joins this job's "completed" write in one commit.
    this.soon();
    if (!started || outcome === null) return;
    const ms = performance.now() - t0;
    try {
      await this.#settle(e, run, outcome, ms);
    } catch (err) {
      // A full disk: the outcome waits in memory and is written once there is room.
      if (isDiskFull(err) && !this.closed) {
        const settled = outcome;
        this.unwritten.hold(id, () => this.#settle(e, run, settled, ms));
        process.emitWarning(
          `Bulkhead job queue: job ${id} finished but the disk is full; its outcome is kept in memory until it can be written`,
          'BulkheadQueueWarning',
        );
        return;
      }
      // The outcome could not be recorded (the store failed): the job stays "running" in the store
      // and is recovered as interrupted by the next start; whoever waits learns why now.
      this.#o.waiters.failed(id, toBulkheadError(err, 'ERR_STORE_UNAVAILABLE'));
      throw err;
    }
  }

  async #settle(e: Waiting, run: Running, outcome: Outcome, ms: number): Promise<void> {
    const { id, plugin } = run;
    const { activity, events } = this.#o;
    // Stopped while it ran (stop's timeout passed): the store is closed; the next start finds
    // the job running and recovers it as interrupted.
    if (this.closed) return;
    const now = this.#o.now();
    activity.flushLogs(id);
    // The last progress report, not yet written, goes in with the outcome: a finished job shows
    // where it got to (100 % for most), not the report before last.
    const last = activity.takeLatest(id);
    if (outcome.ok) {
      let result: Uint8Array;
      try {
        result = await this.#o.files.keep(id, 'result', encodeValue(outcome.value));
      } catch (err) {
        if (isDiskFull(err)) throw err; // kept and written later, not turned into a failure
        return this.#settle(e, run, { ok: false, error: toBulkheadError(err) }, ms);
      }
      try {
        await this.#o.write(completedOps(id, result, now, last));
      } finally {
        this.#o.files.settled(result);
      }
      await this.finishedById(id);
      events.emit('completed', { id, plugin, ms });
      return;
    }
    const error = outcome.error;
    if (run.cancelRequested) {
      const forced = isBulkheadError(error, 'ERR_CANCELLED') && error.data?.forced === true;
      await this.#o.write(cancelledOps(id, error.toJSON(), run.attempt, forced, now, last));
      await this.finishedById(id);
      events.emit('cancelled', { id, plugin, forced });
      return;
    }
    if (attemptNotCounted(error.code)) {
      await this.#o.write(requeueUncountedOps(id, run.attempt, error.message, now));
      const entry: Waiting = { ...e, attempts: run.attempt - 1, waitingSince: null };
      this.pending.add(entry);
      this.soon();
      return;
    }
    const retry = willRetry(error, run.attempt, e.maxAttempts);
    await this.fail({ ...e, attempts: run.attempt }, error, { startedAt: run.startedAt, retry });
  }

  /**
   * Ends a job as failed, or puts it back in the queue for another attempt. `attempt`: the attempt
   * that failed (`e.attempts`), absent for a job refused where it waited.
   */
  async fail(e: Waiting, error: BulkheadError, attempt?: { startedAt: number; retry: boolean }): Promise<void> {
    const now = this.#o.now();
    const wire = error.toJSON();
    const { events } = this.#o;
    if (attempt?.retry) {
      const delay = retryDelay(this.#o.retryBackoff, e.attempts + 1);
      await this.#o.write(retryOps(e.id, wire, e.attempts, attempt.startedAt, now, delay));
      this.pending.add({ ...e, waitingSince: null, ...(delay > 0 ? { notBefore: now + delay } : {}) });
      events.emit('failed', { id: e.id, plugin: e.plugin, error: wire, willRetry: true });
      this.soon();
      return;
    }
    await this.#o.write(failedOps(e.id, wire, now, attempt ? e.attempts : undefined));
    await this.finishedById(e.id);
    events.emit('failed', { id: e.id, plugin: e.plugin, error: wire, willRetry: false });
    this.soon();
  }

  /** Wakes wait() callers of a finished job (read back only if someone waits). */
  async finishedById(id: string): Promise<void> {
    if (!this.#o.waiters.has(id)) return;
    const job = await this.#o.store.get(id);
    if (job !== null) this.#o.waiters.finished(job);
  }

  /** A line of the job's own `ctx.log`. */
  jobLog(id: string, entry: LogEntry): void {
    this.#o.activity.log(id, entry);
    if (this.#o.events.listenerCount('log') > 0) this.#o.events.emit('log', { id, ...entry });
  }

  /** Output lines of a plugin belong to its job when exactly one of its jobs runs. */
  pluginOutput(e: { name: string } & LogEntry): void {
    if (e.source !== 'stdout' && e.source !== 'stderr') return; // ctx.log entries arrive per call
    if (this.running.of(e.name) !== 1) return;
    for (const run of this.running.values()) {
      if (run.plugin === e.name) {
        const { name: _, ...entry } = e;
        this.jobLog(run.id, entry);
        return;
      }
    }
  }
}
