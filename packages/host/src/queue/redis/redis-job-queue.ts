/**
 * RedisJobQueue: the job queue shared by several hosts through Redis, on BullMQ. Same API and
 * events as the embedded `JobQueue` (`JobQueueApi`), so the CLI, the HTTP API and the dashboard
 * work unchanged. What differs, and why, is in docs/scale-out.md.
 *
 * BullMQ holds the run order (one queue per plugin: routing), the locks of running jobs and the
 * stalled-job check (a host that dies); `JobRecords` holds what Bulkhead shows (status with
 * `cancelled`, attempts, timeline, logs, the host). Each host takes a job of plugin P only when it
 * has P and its scheduler has reserved what P needs (reserve locally, then take). Events travel
 * between hosts on one pub/sub channel, so `watch`, `wait` and the event stream see every host's.
 *
 * @example
 * const queue = await openJobQueue({ manager, redis: 'redis://127.0.0.1:6379' });
 * await queue.start();
 * const id = await queue.submit('transcribe', { file: 'a.wav' });   // any host with the plugin runs it
 * @module
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { BulkheadError, ERROR_CODES, isBulkheadError, toBulkheadError } from '@bulkhead/sdk/errors';
import { type Job as BullJob, Queue, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ControlServer } from '../../control/server.js';
import type { PluginManager } from '../../manager/plugin-manager.js';
import { describeIssues, validateAgainstSchema } from '../../manifest/index.js';
import type { LogEntry } from '../../process/log-buffer.js';
import { hasNeeds } from '../../resources/resource-ledger.js';
import { insufficient, Scheduler } from '../../resources/scheduler.js';
import { decodeValue, encodeValue } from '../codec.js';
import type { JobQueueApi } from '../job-queue-api.js';
import type { JobEvent, JobFilter, JobRecord, JobStatus, RetentionPolicy } from '../job-store.js';
import { TERMINAL_STATUSES } from '../job-store.js';
import type {
  Explanation,
  HostView,
  Job,
  JobQueueEvents,
  JobQueueOptions,
  QueueBackendView,
  QueueSnapshot,
  SubmitOptions,
} from '../types.js';
import { toBullPriority } from './bull-priority.js';
import { HEARTBEAT_MS, HostRegistry } from './host-registry.js';
import { type Fields, JobRecords } from './job-records.js';
import { laneName, PluginLane } from './plugin-lane.js';
import { connectRedis, redactUrl, redisTarget, unavailable } from './redis-connection.js';

/** The queue's Redis settings: a URL, or the URL with timings. */
export interface RedisQueueSettings {
  url: string;
  /** Key prefix, so several queues can share one Redis. Default `bulkhead`. */
  prefix?: string;
  /** A running job's lock, renewed every third of it. Default 3 s. */
  lockDurationMs?: number;
  /** BullMQ's stalled check. Default 2 s: a dead host's jobs run elsewhere within ~7 s. */
  stalledIntervalMs?: number;
  /** Each plugin's queue is looked at this often even without news. Default 500 ms. */
  pollMs?: number;
}

interface Running {
  id: string;
  plugin: string;
  attempt: number;
  maxAttempts: number;
  controller: AbortController;
  reservation: string;
  cancelRequested: boolean;
  startedAt: number;
  job: BullJob;
  token: string;
  lane: PluginLane;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: BulkheadError };

/** One message on the events channel: who sent it, and a queue event (or a cancel request). */
type Message = { h: string } & (
  | { t: 'submitted'; e: JobQueueEvents['submitted'][0] }
  | { t: 'started'; e: JobQueueEvents['started'][0] }
  | { t: 'progress'; e: JobQueueEvents['progress'][0] }
  | { t: 'log'; e: JobQueueEvents['log'][0] }
  | { t: 'completed'; e: JobQueueEvents['completed'][0] }
  | { t: 'failed'; e: JobQueueEvents['failed'][0] }
  | { t: 'cancelled'; e: JobQueueEvents['cancelled'][0] }
  | { t: 'cancel'; e: { id: string } }
);

const NOT_RETRYABLE = new Set([
  'ERR_CANCELLED',
  'ERR_SERIALIZE',
  'ERR_UNKNOWN_PLUGIN',
  'ERR_PLUGIN_DISABLED',
  'ERR_INPUT_INVALID',
  'ERR_INSUFFICIENT_RESOURCES',
  'ERR_CONFIG_INVALID',
  'ERR_NOT_SUPPORTED',
]);
const LOG_FLUSH_MS = 100;
const PROGRESS_FLUSH_MS = 250;

export class RedisJobQueue extends EventEmitter<JobQueueEvents> implements JobQueueApi {
  readonly scheduler: Scheduler;
  /** This host's id among the hosts sharing the queue. */
  readonly hostId: string;
  readonly #manager: PluginManager;
  readonly #options: JobQueueOptions;
  readonly #settings: Required<RedisQueueSettings>;
  /** Bulkhead's records and events: few scripts, commands of one tick pipelined in one write. */
  readonly #redis: Redis;
  /**
   * BullMQ's: it defines some sixty scripts on its connection, and ioredis copies every one onto
   * each pipeline it makes, so the records keep a connection of their own (a pipeline there costs
   * little) and this one pipelines nothing.
   */
  readonly #bull: Redis;
  readonly #sub: Redis;
  readonly #records: JobRecords;
  readonly #hosts: HostRegistry;
  readonly #queues = new Map<string, Queue>();
  readonly #lanes = new Map<string, PluginLane>();
  readonly #running = new Map<string, Running>();
  /** Jobs taken from BullMQ and not yet settled (some not yet in #running: their record is being read). */
  #inFlight = 0;
  /** Cancels asked (by other hosts) for jobs that were not running here when the message came. */
  readonly #cancelsSeen = new Map<string, number>();
  readonly #settled = new Map<string, Set<(job: JobRecord | Error) => void>>();
  readonly #logs = new Map<string, LogEntry[]>();
  readonly #progress = new Map<string, { fraction?: number; message?: string }>();
  readonly #timers: NodeJS.Timeout[] = [];
  #control: ControlServer | null = null;
  #started = false;
  #stopping = false;
  #closed = false;
  #stopped: Promise<void> | null = null;
  #lastError: string | null = null;
  readonly #onManagerLog: (e: { name: string } & LogEntry) => void;

  private constructor(
    options: JobQueueOptions,
    settings: Required<RedisQueueSettings>,
    connections: { redis: Redis; bull: Redis; sub: Redis },
  ) {
    super();
    const { redis, bull, sub } = connections;
    this.#options = options;
    this.#manager = options.manager;
    this.#settings = settings;
    this.#redis = redis;
    this.#bull = bull;
    this.#sub = sub;
    this.#records = new JobRecords(redis, settings.prefix);
    this.#hosts = new HostRegistry(redis, settings.prefix);
    this.hostId = `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 4)}`;
    const s = options.scheduler ?? {};
    this.scheduler = new Scheduler(s.monitor ?? options.manager.monitor, {
      policy: s.policy ?? 'queue',
      ...(s.queueTimeoutMs !== undefined ? { queueTimeoutMs: s.queueTimeoutMs } : {}),
      ...(s.refreshMs !== undefined ? { refreshMs: s.refreshMs } : {}),
    });
    this.#onManagerLog = (e) => this.#pluginOutput(e);
    // Reconnects are ioredis's (backoff, forever); this only keeps what to say about them.
    redis.on('error', (e: Error) => {
      this.#lastError = (e as NodeJS.ErrnoException).code ?? e.message;
    });
    redis.on('ready', () => {
      this.#lastError = null;
      // Missed while away: finished jobs someone waits for, and jobs submitted meanwhile.
      for (const id of this.#settled.keys()) void this.#wake(id);
      this.#pokeAll();
    });
    sub.on('error', () => {});
    bull.on('error', () => {});
    sub.on('messageBuffer', (_channel: Buffer, raw: Buffer) => this.#onMessage(raw));
  }

  /** Connects (ERR_REDIS_UNAVAILABLE at once if Redis cannot be reached) and checks the server. */
  static async open(options: JobQueueOptions & { redis: string | RedisQueueSettings }): Promise<RedisJobQueue> {
    const given = typeof options.redis === 'string' ? { url: options.redis } : options.redis;
    const settings: Required<RedisQueueSettings> = {
      prefix: 'bulkhead',
      lockDurationMs: 3000,
      stalledIntervalMs: 2000,
      pollMs: 500,
      ...given,
    };
    const target = redisTarget(settings.url);
    const { redis, policy } = await connectRedis(target);
    if (policy !== 'noeviction') {
      process.emitWarning(
        `Redis at ${target.shown} has maxmemory-policy ${policy}: it may evict queued jobs; BullMQ needs noeviction`,
        'BulkheadQueueWarning',
      );
    }
    const sub = redis.duplicate();
    const bull = redis.duplicate({ enableAutoPipelining: false });
    try {
      await Promise.all([sub.connect(), bull.connect()]);
      await sub.subscribe(`${settings.prefix}:events`);
    } catch (e) {
      for (const c of [redis, sub, bull]) c.disconnect();
      throw unavailable(settings.url, 'connect', `cannot reach Redis at ${target.shown}`, e);
    }
    return new RedisJobQueue(options, settings, { redis, bull, sub });
  }

  get control(): ControlServer | null {
    return this.#control;
  }

  /** Whether this host reaches Redis now, and the hosts that share the queue. */
  async backend(): Promise<QueueBackendView> {
    const connected = this.#redis.status === 'ready';
    const hosts = connected ? await this.#hosts.list().catch(() => []) : [];
    return {
      kind: 'redis',
      url: redactUrl(this.#settings.url),
      connected,
      error: connected ? null : (this.#lastError ?? this.#redis.status),
      host: this.hostId,
      hosts,
    };
  }

  // ─── lifecycle ──────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    this.#open();
    if (this.#started) return;
    if (this.#options.control ?? true) {
      const [{ serveControl }, { LocalQueueClient }] = await Promise.all([
        import('../../control/server.js'),
        import('../../control/local-client.js'),
      ]);
      const client = new LocalQueueClient({ queue: this, manager: this.#manager });
      this.#control = await serveControl({ client, home: this.#manager.home });
    }
    this.#started = true;
    await this.#manager.discover();
    for (const p of this.#manager.list()) {
      if (!p.enabled) continue;
      const lane = new PluginLane(
        p.name,
        this.#bull,
        this.#settings.prefix,
        { lockDurationMs: this.#settings.lockDurationMs, stalledIntervalMs: this.#settings.stalledIntervalMs },
        (e) => {
          this.#lastError = e.message;
        },
      );
      this.#lanes.set(p.name, lane);
    }
    await this.scheduler.fresh().catch(() => {});
    this.#manager.on('log', this.#onManagerLog);
    const every = (ms: number, f: () => void) => {
      const t = setInterval(f, ms);
      t.unref();
      this.#timers.push(t);
    };
    every(this.#settings.pollMs, () => this.#pokeAll());
    every(Math.max(100, Math.floor(this.#settings.lockDurationMs / 3)), () => this.#renewLocks());
    every(HEARTBEAT_MS, () => void this.#announce());
    every(LOG_FLUSH_MS, () => this.#flushLogs());
    every(PROGRESS_FLUSH_MS, () => this.#flushProgress());
    every(60_000, () => void this.prune().catch(() => {}));
    await this.#announce();
    this.#pokeAll();
  }

  /**
   * Takes no new job; running ones get `timeoutMs` (30 s) to end, then go back to waiting with
   * the attempt not counted, for any host to take. With `drain`, first waits until this host has
   * nothing running and nothing waits for its plugins.
   */
  async stop(options: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.#stopped) return this.#stopped;
    this.#stopped = (async () => {
      if (options.drain && this.#started) {
        while (!this.#closed && (this.#inFlight > 0 || (await this.#waitingForMine()) > 0)) {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      this.#stopping = true;
      const deadline = Date.now() + (options.timeoutMs ?? 30_000);
      while (this.#inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // A job taken a moment ago is being marked running: it hands itself back on seeing #stopping.
      while (this.#inFlight > this.#running.size) await new Promise((r) => setTimeout(r, 5));
      await Promise.all([...this.#running.values()].map((run) => this.#handBack(run)));
      await this.#control?.close();
      this.#control = null;
      this.#closed = true;
      for (const t of this.#timers) clearInterval(t);
      this.#manager.off('log', this.#onManagerLog);
      this.scheduler.close();
      this.#flushLogs();
      this.#flushProgress();
      await this.#hosts.leave(this.hostId).catch(() => {});
      await Promise.all([...this.#lanes.values()].map((l) => l.close().catch(() => {})));
      await Promise.all([...this.#queues.values()].map((q) => q.close().catch(() => {})));
      for (const [id, waiters] of this.#settled) for (const w of waiters) w({ id } as JobRecord);
      this.#sub.disconnect();
      await this.#bull.quit().catch(() => this.#bull.disconnect());
      await this.#redis.quit().catch(() => this.#redis.disconnect());
    })();
    return this.#stopped;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  // ─── submitting ─────────────────────────────────────────────────────────────────────────────

  async submit(plugin: string, input: unknown, options: SubmitOptions = {}): Promise<string> {
    const [id] = await this.submitMany([{ plugin, input, options }]);
    return id as string;
  }

  /** Each job is stored, then queued; a batch is checked whole first (a bad one queues none). */
  async submitMany(jobs: { plugin: string; input: unknown; options?: SubmitOptions }[]): Promise<string[]> {
    this.#open();
    this.#ready();
    const plans = [];
    for (const { plugin, input, options = {} } of jobs) {
      await this.#checkSubmit(plugin, input, options);
      plans.push({ plugin, options, input: encodeValue(input), bull: toBullPriority(options.priority ?? 0) });
    }
    // All at once: ioredis sends commands in order on one connection, so each job's insert, then
    // its add, keep submission order (BullMQ's order within a priority), in one round trip or two.
    const ids = await Promise.all(
      plans.map(async ({ plugin, options, input, bull }) => {
        const id = crypto.randomUUID();
        const maxAttempts = options.maxAttempts ?? this.#options.maxAttempts ?? 1;
        const idem = options.idempotencyKey ?? null;
        const held = await this.#records.insert({
          id,
          plugin,
          input,
          priority: options.priority ?? 0,
          idempotencyKey: idem,
          maxAttempts,
          timeoutMs: options.timeout ?? null,
          createdAt: Date.now(),
        });
        if (held !== id) return held; // a repeated idempotency key: the first job stands
        try {
          await this.#queue(plugin).add(
            plugin,
            {},
            { jobId: id, priority: bull, attempts: maxAttempts, removeOnComplete: true, removeOnFail: true },
          );
        } catch (e) {
          await this.#records.discard(id, idem).catch(() => {});
          throw toBulkheadError(e, 'ERR_REDIS_UNAVAILABLE');
        }
        this.#announceEvent('submitted', { id, plugin, priority: options.priority ?? 0 });
        this.#poke(plugin);
        return id;
      }),
    );
    return ids;
  }

  async #checkSubmit(plugin: string, input: unknown, options: SubmitOptions): Promise<void> {
    const bad = (m: string) => new BulkheadError('ERR_INVALID_ARGUMENT', m);
    if (
      options.timeout !== undefined &&
      !(Number.isFinite(options.timeout) && options.timeout > 0 && options.timeout <= 2 ** 31 - 1)
    )
      throw bad(`"timeout" must be a positive number of ms (got ${options.timeout})`);
    if (options.maxAttempts !== undefined && !(Number.isSafeInteger(options.maxAttempts) && options.maxAttempts >= 1))
      throw bad(`"maxAttempts" must be an integer ≥ 1 (got ${options.maxAttempts})`);
    if (options.priority !== undefined && !Number.isFinite(options.priority))
      throw bad(`"priority" must be a finite number (got ${options.priority})`);
    if (
      options.idempotencyKey !== undefined &&
      (typeof options.idempotencyKey !== 'string' || options.idempotencyKey === '')
    )
      throw bad('"idempotencyKey" must be a non-empty string');
    toBullPriority(options.priority ?? 0);
    let info = this.#manager.get(plugin);
    if (info === undefined) {
      await this.#manager.discover();
      info = this.#manager.get(plugin);
    }
    if (info === undefined) {
      // Not installed here: fine if another live host has it (it will run the job).
      const hosts = await this.#hosts.list();
      if (!hosts.some((h) => h.plugins.includes(plugin))) {
        throw new BulkheadError('ERR_UNKNOWN_PLUGIN', `no plugin named "${plugin}" on any host of this queue`, {
          name: plugin,
          reason: 'no-host',
        });
      }
      encodeValue(input); // ERR_SERIALIZE here, not on the host that runs it
      return;
    }
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
    if (hasNeeds(needs) && this.scheduler.policy !== 'permissive') {
      await this.scheduler.fresh();
      const possible = this.scheduler.ledger.possible(needs);
      if (!possible.ok) throw insufficient(possible);
    }
  }

  // ─── reading ────────────────────────────────────────────────────────────────────────────────

  async get<I = unknown, O = unknown>(id: string): Promise<Job<I, O>> {
    return this.#view(await this.#record(id)) as Job<I, O>;
  }

  async list(
    filter: JobFilter = {},
    options: { values?: boolean } = {},
  ): Promise<{ jobs: Job[]; next: string | null }> {
    this.#ready();
    const page = await this.#records.list(filter);
    return { jobs: page.jobs.map((j) => this.#view(j, options.values ?? true)), next: page.next };
  }

  async result<O = unknown>(id: string): Promise<O> {
    const job = await this.#record(id);
    if (job.status === 'completed') return (job.result === null ? null : decodeValue(job.result)) as O;
    if (job.status === 'failed' || job.status === 'cancelled') {
      const e = job.error ?? {
        code: job.status === 'cancelled' ? 'ERR_CANCELLED' : 'ERR_INTERNAL',
        message: job.status,
      };
      throw new BulkheadError((e.code in ERROR_CODES ? e.code : 'ERR_INTERNAL') as never, e.message, e.data as never);
    }
    throw new BulkheadError('ERR_INVALID_ARGUMENT', `job ${id} is ${job.status}; wait for it first`);
  }

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
        void this.#wake(id); // it may have ended between the read above and now
      });
    }
    return this.#view(job) as Job<I, O>;
  }

  async logs(id: string, limit?: number): Promise<LogEntry[]> {
    await this.#record(id);
    await this.#flushLogs(id);
    return this.#records.logs(id, limit);
  }

  async timeline(id: string): Promise<JobEvent[]> {
    return timelineOf(await this.#record(id));
  }

  async explain(id: string): Promise<Explanation> {
    const job = await this.#record(id);
    const timeline = timelineOf(job);
    const base = { id, status: job.status, ahead: 0, timeline };
    if (job.status !== 'pending') {
      const host = (job as { host?: string | null }).host;
      const message =
        job.status === 'running'
          ? `running (attempt ${job.attempts} of ${job.maxAttempts}) on host ${host ?? '?'}`
          : `${job.status}${job.error ? `: ${job.error.message}` : ''}`;
      return { ...base, message, reasons: [] };
    }
    const order = await this.#queue(job.plugin).getJobs(['prioritized', 'wait'], 0, 999, true);
    const ahead = Math.max(
      0,
      order.findIndex((j) => j.id === id),
    );
    const hosts = (await this.#hosts.list()).filter((h) => h.plugins.includes(job.plugin));
    const reasons: Explanation['reasons'] = [];
    const words: string[] = [];
    if (ahead > 0) {
      reasons.push({ kind: 'ahead', jobs: ahead });
      words.push(`${ahead} job${ahead === 1 ? '' : 's'} ahead`);
    }
    if (hosts.length === 0) words.push(`no live host has plugin "${job.plugin}"`);
    else if (hosts.every((h) => h.running.length > 0)) words.push(`every host with "${job.plugin}" is busy`);
    if (reasons.length === 0) reasons.push({ kind: 'not-started' });
    if (words.length === 0) words.push('about to start');
    return { ...base, ahead, message: words.join('; '), reasons };
  }

  async snapshot(options: { recent?: number; pending?: number } = {}): Promise<QueueSnapshot> {
    const backend = await this.backend();
    const base = { time: Date.now(), resources: this.scheduler.ledger.view(), policy: this.scheduler.policy, backend };
    // Redis down: the snapshot still answers (UIs show the banner), with nothing it cannot read.
    if (!backend.connected) return { ...base, running: [], pending: [], recent: [] };
    const plugins = await this.#redis.smembers(`${this.#settings.prefix}:plugins`);
    const limit = options.pending ?? 100;
    const pendingIds = (
      await Promise.all(plugins.map((p) => this.#queue(p).getJobs(['prioritized', 'wait'], 0, limit - 1, true)))
    )
      .flat()
      .map((j) => j.id as string);
    const [running, pending, recent] = await Promise.all([
      this.#records.runningIds().then((ids) => this.#records.getMany(ids)),
      this.#records.getMany(pendingIds),
      this.#records.recent(options.recent ?? 20),
    ]);
    const live = <T>(j: T | null): j is T => j !== null;
    return {
      ...base,
      running: running.filter(live).map((j) => this.#view(j)),
      pending: pending
        .filter(live)
        .filter((j) => j.status === 'pending')
        .sort((a, b) => b.priority - a.priority || a.createdAt - b.createdAt)
        .slice(0, limit)
        .map((j) => this.#view(j)),
      recent: recent.map((j) => this.#view(j)),
    };
  }

  // ─── changing ───────────────────────────────────────────────────────────────────────────────

  /**
   * Pending: cancelled here and now (its BullMQ job removed; a host that took it meanwhile finds it
   * cancelled and lets it go). Running on any host: that host is told over the events channel,
   * aborts the plugin's signal, and forces it after `cancelTimeoutMs`. Resolves once `cancelled`.
   */
  async cancel(id: string): Promise<Job> {
    const job = await this.#record(id);
    if (TERMINAL_STATUSES.includes(job.status)) return this.#view(job);
    const local = this.#running.get(id);
    if (local) {
      this.#abort(local);
      return this.wait(id);
    }
    const now = Date.now();
    const detail = 'cancelled while pending';
    const applied = await this.#records.transition(id, ['pending'], 'cancelled', { finishedAt: now }, [
      { at: now, type: 'cancelled', detail },
    ]);
    if (applied) {
      await this.#queue(job.plugin)
        .remove(id)
        .catch(() => 0);
      this.#announceEvent('cancelled', { id, plugin: job.plugin, forced: false });
      return this.get(id);
    }
    // Running on some host (or taken just now): ask it. The flag covers a host that is taking the
    // job at this moment (it reads the flag once it has marked the job running) or one that died
    // (the host that takes the stalled job ends it as cancelled).
    await this.#records.setFields(id, { cancel: '1' });
    const waiting = this.wait(id);
    this.#publish({ h: this.hostId, t: 'cancel', e: { id } });
    return waiting;
  }

  /**
   * A pending job to a new `priority` (behind the jobs already there), or to `position` in its
   * plugin's run order. On Redis a position lands exactly at the front or the back of a group of
   * equal priority (BullMQ's `changePriority` with or without lifo); inside a group it goes to
   * the group's front.
   */
  async reorder(id: string, to: { position: number } | { priority: number }): Promise<Job> {
    const job = await this.#record(id);
    if (job.status !== 'pending')
      throw new BulkheadError('ERR_INVALID_ARGUMENT', `job ${id} is ${job.status}; only pending jobs can be reordered`);
    const bull = await this.#queue(job.plugin).getJob(id);
    if (bull === undefined)
      throw new BulkheadError('ERR_INVALID_ARGUMENT', `job ${id} started before it could be reordered`);
    let priority: number;
    let lifo = false;
    if ('priority' in to) {
      if (!Number.isFinite(to.priority))
        throw new BulkheadError('ERR_INVALID_ARGUMENT', '"priority" must be a finite number');
      priority = to.priority;
    } else {
      if (!Number.isSafeInteger(to.position) || to.position < 0)
        throw new BulkheadError('ERR_INVALID_ARGUMENT', '"position" must be an integer ≥ 0');
      const order = await this.#queue(job.plugin).getJobs(['prioritized', 'wait'], 0, -1, true);
      const others = (await this.#records.getMany(order.map((j) => j.id as string).filter((x) => x !== id))).filter(
        (j) => j !== null,
      );
      const p = Math.min(to.position, others.length);
      const next = others[p];
      const prev = others[p - 1];
      priority = next?.priority ?? prev?.priority ?? job.priority;
      lifo = next !== undefined;
    }
    await bull.changePriority({ priority: toBullPriority(priority), lifo });
    await this.#records.transition(id, ['pending'], null, { priority }, [
      { at: Date.now(), type: 'reordered', detail: `priority ${priority}` },
    ]);
    return this.get(id);
  }

  async prune(policy?: RetentionPolicy): Promise<number> {
    this.#open();
    this.#ready();
    const r = this.#options.retention ?? {};
    return this.#records.prune(
      policy ?? {
        maxCount: r.maxCount ?? 10_000,
        maxAgeMs: r.maxAgeMs ?? 7 * 24 * 3600_000,
        ...(r.maxBytes !== undefined ? { maxBytes: r.maxBytes } : {}),
      },
    );
  }

  async resolveId(prefix: string): Promise<string> {
    this.#open();
    if (typeof prefix !== 'string' || prefix === '')
      throw new BulkheadError('ERR_INVALID_ARGUMENT', 'a job id (or the start of one) is required');
    this.#ready();
    if ((await this.#records.get(prefix)) !== null) return prefix;
    const ids = await this.#records.idsWithPrefix(prefix, 6);
    if (ids.length === 1) return ids[0] as string;
    if (ids.length === 0) throw new BulkheadError('ERR_JOB_NOT_FOUND', `no job ${prefix}`, { id: prefix });
    const shown = ids.slice(0, 5).join(', ');
    throw new BulkheadError(
      'ERR_JOB_ID_AMBIGUOUS',
      `job id ${prefix} is ambiguous: ${shown}${ids.length > 5 ? ', …' : ''} start with it`,
      { prefix, candidates: ids.slice(0, 5) },
    );
  }

  // ─── taking and running ─────────────────────────────────────────────────────────────────────

  /** News of a job for `plugin` (submitted, or back in the queue): take it if this host can. */
  #poke(plugin: string): void {
    const lane = this.#lanes.get(plugin);
    if (lane === undefined) return;
    lane.mayHaveWork = true;
    void this.#fill(lane);
  }

  #pokeAll(): void {
    for (const lane of this.#lanes.values()) {
      lane.mayHaveWork = true;
      void this.#fill(lane);
    }
  }

  /** Takes jobs of one plugin while it has free slots, each after a local reservation. */
  async #fill(lane: PluginLane): Promise<void> {
    if (lane.taking || !this.#started || this.#stopping || this.#closed) return;
    lane.taking = true;
    try {
      while (lane.mayHaveWork && !this.#stopping && this.#bull.status === 'ready') {
        const info = this.#manager.get(lane.plugin);
        if (info === undefined || !info.enabled) break;
        if (lane.running >= this.#manager.concurrencyOf(lane.plugin)) break;
        const needs = this.#manager.resourcesOf(lane.plugin);
        if (hasNeeds(needs)) await this.scheduler.fresh();
        const reservation = `take-${crypto.randomUUID()}`;
        const r = this.scheduler.tryAcquire(reservation, needs);
        // Does not fit now: leave the job in Redis for a host where it fits; look again at the next poll.
        if (!('id' in r)) break;
        const token = `${this.hostId}:${reservation}`;
        let job: BullJob | undefined;
        try {
          job = await lane.take(token);
        } catch (e) {
          this.scheduler.release(reservation);
          throw e;
        }
        if (job === undefined || job.id === undefined) {
          this.scheduler.release(reservation);
          lane.mayHaveWork = false;
          break;
        }
        lane.running++;
        this.#inFlight++;
        this.#background(
          this.#run(lane, job, token, reservation).finally(() => {
            lane.running--;
            this.#inFlight--;
            this.scheduler.release(reservation);
            lane.mayHaveWork = true;
            this.#pokeAll(); // a release may let another plugin's job fit
          }),
        );
      }
    } catch (e) {
      this.#lastError = e instanceof Error ? e.message : String(e);
    } finally {
      lane.taking = false;
    }
  }

  async #run(lane: PluginLane, job: BullJob, token: string, reservation: string): Promise<void> {
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
    if (record.status === 'running') {
      // Its host died mid-attempt (its lock expired and BullMQ's stalled check put it back).
      const detail = `its host ${record.host ?? ''} stopped while attempt ${record.attempts} ran`;
      events.push({ at: now, type: 'interrupted', attempt: record.attempts, detail });
      if (cancelAsked || record.attempts >= record.maxAttempts) {
        const error = cancelAsked
          ? new BulkheadError('ERR_CANCELLED', 'job cancelled', { forced: true })
          : new BulkheadError('ERR_JOB_INTERRUPTED', `job interrupted: ${detail}, and it had no attempts left`, {
              attempts: record.attempts,
            });
        const status: JobStatus = cancelAsked ? 'cancelled' : 'failed';
        const ended = await this.#records.transition(
          id,
          ['running'],
          status,
          { finishedAt: now, error: JSON.stringify(error.toJSON()) },
          [...events, { at: now, type: status, detail: error.message }],
        );
        await job.moveToFailed(new UnrecoverableError(error.message), token, false).catch(() => {});
        if (ended) {
          if (cancelAsked) this.#announceEvent('cancelled', { id, plugin: record.plugin, forced: true });
          else this.#announceEvent('failed', { id, plugin: record.plugin, error: error.toJSON(), willRetry: false });
        }
        return;
      }
      if (record.startedAt !== null)
        events.push({ at: record.startedAt, type: 'started', attempt: record.attempts, detail: 'interrupted' });
      events.push({ at: now, type: 'retrying', attempt: record.attempts + 1 });
    }
    const attempt = record.attempts + 1;
    if (!this.#manager.isLoaded(record.plugin)) events.push({ at: now, type: 'loading-plugin' });
    const started = { id, plugin: record.plugin, attempt };
    const took = await this.#records.transition(
      id,
      ['pending', 'running'],
      'running',
      { attempts: attempt, startedAt: now, host: this.hostId, progress: null },
      events,
      this.#message('started', started),
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
    };
    this.#running.set(id, run);
    if (this.#stopping) return this.#handBack(run);
    // A cancel asked while this host was taking the job: the flag (read by the script), or the
    // message, which may have come in on the other connection before the script's answer.
    if (cancelAsked || took === 2 || this.#cancelsSeen.has(id)) this.#abort(run);
    this.emit('started', started);
    const t0 = performance.now();
    let outcome: Outcome;
    try {
      const input = decodeValue(record.input);
      // Submitted on a host without the plugin: its input meets the schema for the first time here.
      const schema = this.#manager.inputSchemaOf(run.plugin);
      const issues = schema ? validateAgainstSchema(schema, input) : [];
      if (issues.length > 0) {
        const list = describeIssues(issues);
        throw new BulkheadError('ERR_INPUT_INVALID', `input for plugin "${run.plugin}" is invalid: ${list}`, { issues });
      }
      const value = await this.#manager.execute(run.plugin, input, {
        signal: run.controller.signal,
        ...(record.timeoutMs !== null ? { timeout: record.timeoutMs } : {}),
        cancelGraceMs: this.#options.cancelTimeoutMs ?? 5000,
        onProgress: (p) => {
          const progress = {
            ...(p.fraction !== undefined ? { fraction: p.fraction } : {}),
            ...(p.message !== undefined ? { message: p.message } : {}),
          };
          this.#progress.set(id, progress);
          this.#announceEvent('progress', { id, ...progress });
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
      await this.#settle(run, outcome, performance.now() - t0);
    } finally {
      this.#running.delete(id);
    }
  }

  /** Writes the outcome (ioredis holds the writes through a reconnect), then tells BullMQ. */
  async #settle(run: Run, outcome: Outcome, ms: number): Promise<void> {
    const { id, plugin, job, token } = run;
    const now = Date.now();
    await this.#flushLogs(id);
    const last = this.#progress.get(id);
    this.#progress.delete(id);
    const progress: Fields = last ? { progress: JSON.stringify(last) } : {};
    if (outcome.ok) {
      let result: Uint8Array;
      try {
        result = encodeValue(outcome.value);
      } catch (err) {
        return this.#settle(run, { ok: false, error: toBulkheadError(err) }, ms);
      }
      const completed = { id, plugin, ms };
      // The record first, then BullMQ's ack: a host that dies in between leaves a completed record,
      // which the next host to take the stalled job lets go without running it again.
      await this.#records.transition(
        id,
        ['running'],
        'completed',
        { result: Buffer.from(result.buffer, result.byteOffset, result.byteLength), finishedAt: now, ...progress },
        [],
        this.#message('completed', completed),
      );
      await this.#ack(job, token, () => job.moveToCompleted(null, token, false));
      this.emit('completed', completed);
      void this.#wake(id);
      return;
    }
    const error = outcome.error;
    const wire = error.toJSON();
    if (run.cancelRequested) {
      const forced = isBulkheadError(error, 'ERR_CANCELLED') && error.data?.forced === true;
      const detail = forced
        ? 'forced: the plugin ignored its signal, its worker was killed'
        : 'the plugin stopped on its signal';
      await this.#records.transition(
        id,
        ['running'],
        'cancelled',
        { finishedAt: now, error: JSON.stringify(wire), ...progress },
        [{ at: now, type: 'cancelled', attempt: run.attempt, detail }],
      );
      await this.#ack(job, token, () => job.moveToFailed(new UnrecoverableError(error.message), token, false));
      this.#announceEvent('cancelled', { id, plugin, forced });
      return;
    }
    const retry = run.attempt < run.maxAttempts && !NOT_RETRYABLE.has(error.code);
    if (retry) {
      await this.#records.transition(id, ['running'], 'pending', { error: JSON.stringify(wire), progress: null }, [
        { at: run.startedAt, type: 'started', attempt: run.attempt },
        { at: now, type: 'retrying', attempt: run.attempt + 1, detail: wire.message },
      ]);
    } else {
      await this.#records.transition(id, ['running'], 'failed', { error: JSON.stringify(wire), finishedAt: now }, [
        { at: now, type: 'failed', attempt: run.attempt, detail: wire.message },
      ]);
    }
    // Unrecoverable: BullMQ must not retry what Bulkhead's rule (attempts, codes) has ended.
    const reported = retry ? error : new UnrecoverableError(error.message);
    await this.#ack(job, token, () => job.moveToFailed(reported, token, false));
    this.#announceEvent('failed', { id, plugin, error: wire, willRetry: retry });
  }

  /** Tells BullMQ; a lock lost meanwhile (Redis was away longer than the lock) means another host may run it again. */
  async #ack(job: BullJob, _token: string, move: () => Promise<unknown>): Promise<void> {
    try {
      await move();
    } catch (e) {
      process.emitWarning(
        `Bulkhead job queue: job ${job.id}: ${e instanceof Error ? e.message : String(e)}`,
        'BulkheadQueueWarning',
      );
    }
  }

  /** Back to waiting, the attempt not counted: this host is stopping, not failing. */
  async #handBack(run: Running): Promise<void> {
    this.#running.delete(run.id);
    run.controller.abort(new BulkheadError('ERR_CANCELLED', 'the host is stopping', { forced: false }));
    const now = Date.now();
    const detail = 'its host was stopped; queued again (the attempt does not count)';
    await this.#records
      .transition(run.id, ['running'], 'pending', { attempts: run.attempt - 1, progress: null }, [
        { at: now, type: 'interrupted', attempt: run.attempt, detail },
      ])
      .catch(() => {});
    await this.#ack(run.job, run.token, () => run.job.moveToWait(run.token));
  }

  #abort(run: Running): void {
    run.cancelRequested = true;
    run.controller.abort(new BulkheadError('ERR_CANCELLED', 'job cancelled', { forced: false }));
  }

  #renewLocks(): void {
    const byLane = new Map<PluginLane, Running[]>();
    for (const run of this.#running.values()) byLane.set(run.lane, [...(byLane.get(run.lane) ?? []), run]);
    for (const [lane, runs] of byLane) {
      void lane.worker
        .extendJobLocks(
          runs.map((r) => r.id),
          runs.map((r) => r.token),
          this.#settings.lockDurationMs,
        )
        .catch(() => {});
    }
  }

  async #announce(): Promise<void> {
    if (this.#redis.status !== 'ready') return;
    const view: HostView = {
      id: this.hostId,
      hostname: hostname(),
      pid: process.pid,
      plugins: [...this.#lanes.keys()].filter((p) => this.#manager.get(p)?.enabled),
      running: [...this.#running.keys()],
      resources: this.scheduler.ledger.view(),
      seenAt: Date.now(),
    };
    await this.#hosts.announce(view).catch(() => {});
  }

  /** Jobs waiting for the plugins this host has (for `stop({ drain })`). */
  async #waitingForMine(): Promise<number> {
    let n = 0;
    for (const p of this.#lanes.keys()) n += await this.#queue(p).getJobCountByTypes('prioritized', 'wait');
    return n;
  }

  // ─── events ─────────────────────────────────────────────────────────────────────────────────

  /** Emits here and tells the other hosts. */
  #announceEvent<K extends keyof JobQueueEvents & Message['t']>(t: K, e: JobQueueEvents[K][0]): void {
    (this.emit as (k: string, v: unknown) => boolean)(t, e);
    this.#publish({ h: this.hostId, t, e } as Message);
    if (t === 'completed' || t === 'cancelled' || (t === 'failed' && !(e as { willRetry: boolean }).willRetry))
      void this.#wake((e as { id: string }).id);
  }

  /** A message for the events channel, published by a record transition when it applies. */
  #message<K extends Message['t']>(t: K, e: Extract<Message, { t: K }>['e']): { channel: string; message: string } {
    return { channel: `${this.#settings.prefix}:events`, message: JSON.stringify({ h: this.hostId, t, e }) };
  }

  #publish(m: Message): void {
    if (this.#closed) return;
    void this.#redis.publish(`${this.#settings.prefix}:events`, JSON.stringify(m)).catch(() => {});
  }

  #onMessage(raw: Buffer): void {
    let m: Message;
    try {
      m = JSON.parse(raw.toString()) as Message;
    } catch {
      return;
    }
    if (m.h === this.hostId) return;
    if (m.t === 'cancel') {
      const run = this.#running.get(m.e.id);
      if (run) this.#abort(run);
      else this.#sawCancel(m.e.id);
      return;
    }
    if (m.t === 'submitted') this.#poke(m.e.plugin);
    (this.emit as (k: string, v: unknown) => boolean)(m.t, m.e);
    if (m.t === 'completed' || m.t === 'cancelled' || (m.t === 'failed' && !m.e.willRetry)) void this.#wake(m.e.id);
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

  /** Resolves wait() callers of a job if it has ended. */
  async #wake(id: string): Promise<void> {
    const waiters = this.#settled.get(id);
    if (!waiters) return;
    const job = await this.#records.get(id).catch(() => null);
    if (job && TERMINAL_STATUSES.includes(job.status)) for (const w of [...waiters]) w(job);
  }

  // ─── logs and progress ──────────────────────────────────────────────────────────────────────

  #jobLog(id: string, entry: LogEntry): void {
    const list = this.#logs.get(id) ?? [];
    list.push(entry);
    if (list.length > 1000) list.shift();
    this.#logs.set(id, list);
    this.#announceEvent('log', { id, ...entry });
  }

  #pluginOutput(e: { name: string } & LogEntry): void {
    if (e.source !== 'stdout' && e.source !== 'stderr') return;
    const runs = [...this.#running.values()].filter((r) => r.plugin === e.name);
    if (runs.length !== 1) return;
    const { name: _, ...entry } = e;
    this.#jobLog((runs[0] as Running).id, entry);
  }

  async #flushLogs(only?: string): Promise<void> {
    const ids = only === undefined ? [...this.#logs.keys()] : [only];
    await Promise.all(
      ids.map((id) => {
        const entries = this.#logs.get(id);
        this.#logs.delete(id);
        return entries ? this.#records.appendLogs(id, entries).catch(() => {}) : undefined;
      }),
    );
  }

  #flushProgress(): void {
    for (const [id, p] of this.#progress) {
      if (this.#running.has(id)) void this.#records.setFields(id, { progress: JSON.stringify(p) }).catch(() => {});
    }
  }

  // ─── helpers ────────────────────────────────────────────────────────────────────────────────

  #queue(plugin: string): Queue {
    let q = this.#queues.get(plugin);
    if (q === undefined) {
      q = new Queue(laneName(plugin), { connection: this.#bull, prefix: `${this.#settings.prefix}:q` });
      q.on('error', () => {});
      this.#queues.set(plugin, q);
      void this.#redis.sadd(`${this.#settings.prefix}:plugins`, plugin).catch(() => {});
    }
    return q;
  }

  async #record(id: string): Promise<JobRecord> {
    if (typeof id !== 'string' || id === '')
      throw new BulkheadError('ERR_INVALID_ARGUMENT', 'a job id is a non-empty string');
    this.#ready();
    const job = await this.#records.get(id);
    if (job === null) throw new BulkheadError('ERR_JOB_NOT_FOUND', `no job with id ${id}`, { id });
    return job;
  }

  #view(job: JobRecord, values = true): Job {
    return {
      id: job.id,
      plugin: job.plugin,
      input: values ? decodeValue(job.input) : null,
      status: job.status,
      priority: job.priority,
      attempts: job.attempts,
      maxAttempts: job.maxAttempts,
      timeoutMs: job.timeoutMs,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      result: job.result === null || !values ? null : decodeValue(job.result),
      error: job.error,
      progress: this.#progress.get(job.id) ?? job.progress,
      timeline: timelineOf(job),
      host: (job as { host?: string | null }).host ?? null,
    };
  }

  #background(p: Promise<unknown>): void {
    p.catch((e) => {
      process.emitWarning(`Bulkhead job queue: ${e instanceof Error ? e.message : String(e)}`, 'BulkheadQueueWarning');
    });
  }

  #open(): void {
    if (this.#closed || this.#stopping) throw new BulkheadError('ERR_QUEUE_CLOSED', 'the job queue was stopped');
  }

  /** Calls that must reach Redis now fail fast while it is away, instead of hanging. */
  #ready(): void {
    if (this.#redis.status !== 'ready') {
      throw unavailable(
        this.#settings.url,
        'reconnecting',
        `Redis at ${redactUrl(this.#settings.url)} is unreachable (${this.#lastError ?? this.#redis.status}); reconnecting`,
      );
    }
  }
}

type Run = Running;

/** Stored events plus those implied by the record (queued, the current start, completion), in time order. */
function timelineOf(job: JobRecord): JobEvent[] {
  const events: JobEvent[] = [{ at: job.createdAt, type: 'queued' }, ...job.timeline];
  if (
    job.startedAt !== null &&
    job.status !== 'pending' &&
    !job.timeline.some((x) => x.type === 'started' && x.attempt === job.attempts)
  )
    events.push({ at: job.startedAt, type: 'started', attempt: job.attempts });
  if (job.status === 'completed' && job.finishedAt !== null)
    events.push({ at: job.finishedAt, type: 'completed', attempt: job.attempts });
  return events.sort((a, b) => a.at - b.at);
}
