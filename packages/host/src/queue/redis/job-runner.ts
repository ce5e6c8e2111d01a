/**
 * What one host does with a shared Redis queue: take jobs of its plugins (each after its own
 * scheduler has reserved what the job needs), run them, record their outcomes, renew their locks,
 * hand them back when it stops, and cancel them when any host asks. `RedisJobQueue` is the API in
 * front of it; this is the part that runs jobs.
 * @module
 */
import { BulkheadError, toBulkheadError } from '@bulkhead/sdk/errors';
import type { Job as BullJob } from 'bullmq';
import { checkInput } from '../../manifest/input-check.js';
import type { LogEntry } from '../../process/log-buffer.js';
import { hasNeeds } from '../../resources/resource-ledger.js';
import type { Scheduler } from '../../resources/scheduler.js';
import { decodeValue } from '../codec.js';
import type { JobEvent } from '../job-store.js';
import { TERMINAL_STATUSES } from '../job-store.js';
import type { PluginRunner } from '../plugin-runner.js';
import type { JobQueueEvents } from '../types.js';
import type { Message } from './events-channel.js';
import type { JobRecords } from './job-records.js';
import {
  ack,
  endSignal,
  type Outcome,
  type Running,
  recoverInterrupted,
  type SettleContext,
  settle,
} from './job-settlement.js';
import type { PluginLane } from './plugin-lane.js';

/** What the runner needs from the queue around it. */
export interface RunnerDeps {
  manager: PluginRunner;
  scheduler: Scheduler;
  records: JobRecords;
  hostId: string;
  lockDurationMs: number;
  /** A running job that ignores its cancel is forced after this. */
  cancelGraceMs: number;
  /** Started, and neither stopping nor closed: jobs may be taken. */
  taking(): boolean;
  stopping(): boolean;
  /** BullMQ's connection is up. */
  ready(): boolean;
  /** Emits on this host only. */
  emit<K extends keyof JobQueueEvents>(t: K, e: JobQueueEvents[K][0]): void;
  /** Emits here and tells the other hosts. */
  announce<K extends keyof JobQueueEvents & Message['t']>(t: K, e: JobQueueEvents[K][0]): void;
  /** A message for the events channel, for a record transition to publish when it applies. */
  message<K extends Message['t']>(t: K, e: Extract<Message, { t: K }>['e']): { channel: string; message: string };
  /** Answers wait() callers of a job that may have ended. */
  wake(id: string): void;
  onError(e: unknown): void;
}

export class JobRunner {
  readonly #deps: RunnerDeps;
  readonly #manager: PluginRunner;
  readonly #scheduler: Scheduler;
  readonly #records: JobRecords;
  readonly #hostId: string;
  readonly #lockDurationMs: number;
  readonly #cancelGraceMs: number;
  readonly #lanes = new Map<string, PluginLane>();
  readonly #running = new Map<string, Running>();
  /** Jobs taken from BullMQ and not yet settled (some not yet in #running: their record is being read). */
  #inFlight = 0;
  /** Cancels asked (by other hosts) for jobs that were not running here when the message came. */
  readonly #cancelsSeen = new Map<string, number>();
  readonly #logs = new Map<string, LogEntry[]>();
  readonly #progress = new Map<string, { fraction?: number; message?: string }>();
  readonly #settling: SettleContext;

  constructor(deps: RunnerDeps) {
    this.#deps = deps;
    this.#manager = deps.manager;
    this.#scheduler = deps.scheduler;
    this.#records = deps.records;
    this.#hostId = deps.hostId;
    this.#lockDurationMs = deps.lockDurationMs;
    this.#cancelGraceMs = deps.cancelGraceMs;
    this.#settling = { deps, progress: this.#progress, flushLogs: (id) => this.flushLogs(id) };
  }

  addLane(lane: PluginLane): void {
    this.#lanes.set(lane.plugin, lane);
  }

  get lanes(): readonly PluginLane[] {
    return [...this.#lanes.values()];
  }

  /** Jobs running here now. */
  get runningIds(): string[] {
    return [...this.#running.keys()];
  }

  /** Jobs taken and not settled, those still being marked running included. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The last progress report of a job running here, not yet written. */
  progressOf(id: string): { fraction?: number; message?: string } | undefined {
    return this.#progress.get(id);
  }

  /** Cancels a job if it runs here (true), else remembers the ask for a job being taken now. */
  /**
   * Cancels a job if this host runs it. Returns when the attempt has ended here (settled and its
   * event emitted, or handed back), so a cancel() on this host sees the `cancelled` event before it
   * answers; null when this host does not run the job.
   */
  cancel(id: string): Promise<void> | null {
    const run = this.#running.get(id);
    if (run) this.#abort(run);
    else this.#sawCancel(id);
    return run ? run.ended.promise : null;
  }

  /**
   * Stopping: waits up to `deadline` for running jobs to end, then hands the rest back (the
   * attempt not counted), jobs being marked running at this moment included.
   */
  async handBackAll(deadline: number): Promise<void> {
    while (this.#inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // A job taken a moment ago is being marked running: it hands itself back on seeing stopping().
    while (this.#inFlight > this.#running.size) await new Promise((r) => setTimeout(r, 5));
    await Promise.all([...this.#running.values()].map((run) => this.#handBack(run)));
  }

  async close(): Promise<void> {
    this.flushProgress();
    await this.flushLogs();
    await Promise.all([...this.#lanes.values()].map((l) => l.close().catch(() => {})));
  }

  /** News of a job for `plugin` (submitted, or back in the queue): take it if this host can. */
  poke(plugin: string): void {
    const lane = this.#lanes.get(plugin);
    if (lane === undefined) return;
    lane.mayHaveWork = true;
    void this.#fill(lane);
  }

  pokeAll(): void {
    for (const lane of this.#lanes.values()) {
      lane.mayHaveWork = true;
      void this.#fill(lane);
    }
  }

  /** Takes jobs of one plugin while it has free slots, each after a local reservation. */
  async #fill(lane: PluginLane): Promise<void> {
    if (lane.taking || !this.#deps.taking()) return;
    lane.taking = true;
    try {
      while (lane.mayHaveWork && this.#deps.taking() && this.#deps.ready()) {
        const info = this.#manager.get(lane.plugin);
        if (info === undefined || !info.enabled) break;
        if (lane.running >= this.#manager.concurrencyOf(lane.plugin)) break;
        const needs = this.#manager.resourcesOf(lane.plugin);
        if (hasNeeds(needs)) await this.#scheduler.fresh();
        const reservation = `take-${crypto.randomUUID()}`;
        const r = this.#scheduler.tryAcquire(reservation, needs);
        // Does not fit now: leave the job in Redis for a host where it fits; look again at the next poll.
        if (!('id' in r)) break;
        const token = `${this.#hostId}:${reservation}`;
        let job: BullJob | undefined;
        try {
          job = await lane.take(token);
        } catch (e) {
          this.#scheduler.release(reservation);
          throw e;
        }
        if (job === undefined || job.id === undefined) {
          this.#scheduler.release(reservation);
          lane.mayHaveWork = false;
          break;
        }
        lane.running++;
        this.#inFlight++;
        this.#background(
          this.#chain(lane, job, token, reservation).finally(() => {
            lane.running--;
            this.#inFlight--;
            this.#scheduler.release(reservation);
            lane.mayHaveWork = true;
            this.pokeAll(); // a release may let another plugin's job fit
          }),
        );
      }
    } catch (e) {
      this.#deps.onError(e);
    } finally {
      lane.taking = false;
    }
  }

  /**
   * Runs a job, then each next job BullMQ hands over with the completion (same plugin, same
   * token): the reservation made for the first stays for them, so the rule holds (reserved, then
   * taken) with one round trip less a job.
   */
  async #chain(lane: PluginLane, first: BullJob, token: string, reservation: string): Promise<void> {
    for (let job: BullJob | undefined = first; job !== undefined; ) {
      job = await this.#run(lane, job, token, reservation);
    }
  }

  /** Runs one job to its recorded outcome; resolves to the next job, when BullMQ handed one over. */
  async #run(lane: PluginLane, job: BullJob, token: string, reservation: string): Promise<BullJob | undefined> {
    const id = job.id as string;
    const record = await this.#records.get(id);
    if (record === null || TERMINAL_STATUSES.includes(record.status)) {
      // Cancelled while pending, or finished by a host that died before telling BullMQ: let it go.
      await job.moveToCompleted(null, token, false).catch(() => {});
      return;
    }
    const now = Date.now();
    const events: JobEvent[] = [];
    const cancelAsked = record.cancelAsked;
    if (record.status === 'running' && (await recoverInterrupted(this.#deps, job, token, record, now, events))) return;
    const attempt = record.attempts + 1;
    if (!this.#manager.isLoaded(record.plugin)) events.push({ at: now, type: 'loading-plugin' });
    const started = { id, plugin: record.plugin, attempt };
    const took = await this.#records.transition(
      id,
      ['pending', 'running'],
      'running',
      { attempts: attempt, startedAt: now, host: this.#hostId, progress: null },
      events,
      this.#deps.message('started', started),
    );
    if (took === 0) {
      await job.moveToCompleted(null, token, false).catch(() => {});
      return;
    }
    const run: Running = {
      id,
      plugin: record.plugin,
      attempt,
      maxAttempts: record.maxAttempts,
      controller: new AbortController(),
      reservation,
      cancelRequested: false,
      startedAt: now,
      job,
      token,
      lane,
      ended: endSignal(),
    };
    this.#running.set(id, run);
    if (this.#deps.stopping()) {
      await this.#handBack(run);
      return undefined;
    }
    // A cancel asked while this host was taking the job: the flag (read by the script), or the
    // message, which may have come in on the other connection before the script's answer.
    if (cancelAsked || took === 2 || this.#cancelsSeen.has(id)) this.#abort(run);
    this.#deps.emit('started', started);
    const t0 = performance.now();
    let outcome: Outcome;
    try {
      const input = decodeValue(record.input);
      // Submitted on a host without the plugin: its input meets the schema for the first time here.
      checkInput(run.plugin, this.#manager.inputSchemaOf(run.plugin), input);
      const value = await this.#manager.execute(run.plugin, input, {
        signal: run.controller.signal,
        ...(record.timeoutMs !== null ? { timeout: record.timeoutMs } : {}),
        cancelGraceMs: this.#cancelGraceMs,
        onProgress: (p) => {
          const progress = {
            ...(p.fraction !== undefined ? { fraction: p.fraction } : {}),
            ...(p.message !== undefined ? { message: p.message } : {}),
          };
          this.#progress.set(id, progress);
          this.#deps.announce('progress', { id, ...progress });
        },
        onLog: (entry) => this.#jobLog(id, entry),
      });
      outcome = { ok: true, value };
    } catch (err) {
      outcome = { ok: false, error: toBulkheadError(err) };
    }
    // Stopped past its deadline: stop() has handed it back already.
    if (this.#running.get(id) !== run) return;
    try {
      return await settle(this.#settling, run, outcome, performance.now() - t0);
    } finally {
      this.#running.delete(id);
      run.ended.resolve();
    }
  }

  /** Back to waiting, the attempt not counted: this host is stopping, not failing. */
  async #handBack(run: Running): Promise<void> {
    this.#running.delete(run.id);
    run.ended.resolve();
    run.controller.abort(new BulkheadError('ERR_CANCELLED', 'the host is stopping', { forced: false }));
    const now = Date.now();
    const detail = 'its host was stopped; queued again (the attempt does not count)';
    await this.#records
      .transition(run.id, ['running'], 'pending', { attempts: run.attempt - 1, progress: null }, [
        { at: now, type: 'interrupted', attempt: run.attempt, detail },
      ])
      .catch(() => {});
    await ack(run.job, run.token, () => run.job.moveToWait(run.token));
  }

  #abort(run: Running): void {
    run.cancelRequested = true;
    run.controller.abort(new BulkheadError('ERR_CANCELLED', 'job cancelled', { forced: false }));
  }

  renewLocks(): void {
    const byLane = new Map<PluginLane, Running[]>();
    for (const run of this.#running.values()) byLane.set(run.lane, [...(byLane.get(run.lane) ?? []), run]);
    for (const [lane, runs] of byLane) {
      void lane.worker
        .extendJobLocks(
          runs.map((r) => r.id),
          runs.map((r) => r.token),
          this.#lockDurationMs,
        )
        .catch(() => {});
    }
  }

  /** Remembers a cancel for a job not running here (yet: it may be being taken), for a minute. */
  #sawCancel(id: string): void {
    const now = Date.now();
    this.#cancelsSeen.set(id, now);
    for (const [k, at] of this.#cancelsSeen) {
      if (now - at < 60_000) break;
      this.#cancelsSeen.delete(k);
    }
  }

  // ─── logs and progress ──────────────────────────────────────────────────────────────────────

  #jobLog(id: string, entry: LogEntry): void {
    const list = this.#logs.get(id) ?? [];
    list.push(entry);
    if (list.length > 1000) list.shift();
    this.#logs.set(id, list);
    this.#deps.announce('log', { id, ...entry });
  }

  pluginOutput(e: { name: string } & LogEntry): void {
    if (e.source !== 'stdout' && e.source !== 'stderr') return;
    const runs = [...this.#running.values()].filter((r) => r.plugin === e.name);
    if (runs.length !== 1) return;
    const { name: _, ...entry } = e;
    this.#jobLog((runs[0] as Running).id, entry);
  }

  async flushLogs(only?: string): Promise<void> {
    const ids = only === undefined ? [...this.#logs.keys()] : [only];
    await Promise.all(
      ids.map((id) => {
        const entries = this.#logs.get(id);
        this.#logs.delete(id);
        return entries ? this.#records.appendLogs(id, entries).catch(() => {}) : undefined;
      }),
    );
  }

  flushProgress(): void {
    for (const [id, p] of this.#progress) {
      if (this.#running.has(id)) void this.#records.setFields(id, { progress: JSON.stringify(p) }).catch(() => {});
    }
  }

  #background(p: Promise<unknown>): void {
    p.catch((e) => {
      process.emitWarning(`Bulkhead job queue: ${e instanceof Error ? e.message : String(e)}`, 'BulkheadQueueWarning');
    });
  }
}
