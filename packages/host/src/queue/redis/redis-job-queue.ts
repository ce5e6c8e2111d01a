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
import { BulkheadError, ERROR_CODES, toBulkheadError } from '@bulkhead/sdk/errors';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ControlServer } from '../../control/server.js';
import type { LogEntry } from '../../process/log-buffer.js';
import { Scheduler } from '../../resources/scheduler.js';
import { decodeValue, encodeValue } from '../codec.js';
import type { JobQueueApi } from '../job-queue-api.js';
import type { JobEvent, JobFilter, JobRecord, RetentionPolicy } from '../job-store.js';
import { TERMINAL_STATUSES } from '../job-store.js';
import type { PluginRunner } from '../plugin-runner.js';
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
import { eventsChannel, type Message, parseMessage } from './events-channel.js';
import { HEARTBEAT_MS, HostRegistry } from './host-registry.js';
import { JobRecords } from './job-records.js';
import { JobRunner } from './job-runner.js';
import { timelineOf, toJob } from './job-view.js';
import { laneName, PluginLane } from './plugin-lane.js';
import { connectRedis, redactUrl, redisTarget, unavailable } from './redis-connection.js';
import { checkSubmit } from './submit-check.js';

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

const LOG_FLUSH_MS = 100;
const PROGRESS_FLUSH_MS = 250;

export class RedisJobQueue extends EventEmitter<JobQueueEvents> implements JobQueueApi {
  readonly scheduler: Scheduler;
  /** This host's id among the hosts sharing the queue. */
  readonly hostId: string;
  readonly #manager: PluginRunner;
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
  /** The events channel: pub/sub is one namespace for the whole server, so it names the database too. */
  readonly #channel: string;
  readonly #records: JobRecords;
  readonly #hosts: HostRegistry;
  readonly #queues = new Map<string, Queue>();
  readonly #runner: JobRunner;
  readonly #settled = new Map<string, Set<(job: JobRecord | Error) => void>>();
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
    this.#channel = eventsChannel(settings.prefix, redis.options.db ?? 0);
    this.#records = new JobRecords(redis, settings.prefix);
    this.#hosts = new HostRegistry(redis, settings.prefix);
    this.hostId = `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 4)}`;
    const s = options.scheduler ?? {};
    this.scheduler = new Scheduler(s.monitor ?? options.manager.monitor, {
      policy: s.policy ?? 'queue',
      ...(s.queueTimeoutMs !== undefined ? { queueTimeoutMs: s.queueTimeoutMs } : {}),
      ...(s.refreshMs !== undefined ? { refreshMs: s.refreshMs } : {}),
    });
    this.#runner = new JobRunner({
      manager: this.#manager,
      scheduler: this.scheduler,
      records: this.#records,
      hostId: this.hostId,
      lockDurationMs: settings.lockDurationMs,
      cancelGraceMs: options.cancelTimeoutMs ?? 5000,
      taking: () => this.#started && !this.#stopping && !this.#closed,
      stopping: () => this.#stopping,
      ready: () => this.#bull.status === 'ready',
      emit: (t, e) => (this.emit as (k: string, v: unknown) => boolean)(t, e),
      announce: (t, e) => this.#announceEvent(t, e),
      message: (t, e) => this.#message(t, e as never),
      wake: (id) => void this.#wake(id),
      onError: (e) => {
        this.#lastError = e instanceof Error ? e.message : String(e);
      },
    });
    this.#onManagerLog = (e) => this.#runner.pluginOutput(e);
    // Reconnects are ioredis's (backoff, forever); this only keeps what to say about them.
    redis.on('error', (e: Error) => {
      this.#lastError = (e as NodeJS.ErrnoException).code ?? e.message;
    });
    redis.on('ready', () => {
      this.#lastError = null;
      // Missed while away: finished jobs someone waits for, and jobs submitted meanwhile.
      for (const id of this.#settled.keys()) void this.#wake(id);
      this.#runner.pokeAll();
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
      await sub.subscribe(eventsChannel(settings.prefix, target.options.db ?? 0));
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
      const { serveQueueControl } = await import('../queue-control.js');
      this.#control = await serveQueueControl(this, this.#manager);
    }
    this.#started = true;
    await this.#manager.discover();
    for (const p of pluginsOf(this.#manager)) {
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
      this.#runner.addLane(lane);
    }
    await this.scheduler.fresh().catch(() => {});
    this.#manager.on('log', this.#onManagerLog);
    const every = (ms: number, f: () => void) => {
      const t = setInterval(f, ms);
      t.unref();
      this.#timers.push(t);
    };
    every(this.#settings.pollMs, () => this.#runner.pokeAll());
    every(Math.max(100, Math.floor(this.#settings.lockDurationMs / 3)), () => this.#runner.renewLocks());
    every(HEARTBEAT_MS, () => void this.#announce());
    every(LOG_FLUSH_MS, () => void this.#runner.flushLogs());
    every(PROGRESS_FLUSH_MS, () => this.#runner.flushProgress());
    every(60_000, () => void this.prune().catch(() => {}));
    await this.#announce();
    this.#runner.pokeAll();
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
        while (!this.#closed && (this.#runner.inFlight > 0 || (await this.#waitingForMine()) > 0)) {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      this.#stopping = true;
      await this.#runner.handBackAll(Date.now() + (options.timeoutMs ?? 30_000));
      await this.#control?.close();
      this.#control = null;
      this.#closed = true;
      for (const t of this.#timers) clearInterval(t);
      this.#manager.off('log', this.#onManagerLog);
      this.scheduler.close();
      await this.#runner.close();
      await this.#hosts.leave(this.hostId).catch(() => {});
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
      await checkSubmit(
        { manager: this.#manager, scheduler: this.scheduler, hosts: this.#hosts },
        plugin,
        input,
        options,
      );
      plans.push({ plugin, options, input: encodeValue(input), bull: toBullPriority(options.priority ?? 0) });
    }
    const fresh: JobQueueEvents['submitted'][0][] = [];
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
        const submitted = { id, plugin, priority: options.priority ?? 0 };
        (this.emit as (k: string, v: unknown) => boolean)('submitted', submitted);
        fresh.push(submitted);
        this.#runner.poke(plugin);
        return id;
      }),
    );
    // One message for the batch: the other hosts emit each job's event, and look for work.
    if (fresh.length > 0) this.#publish({ h: this.hostId, t: 'submitted', e: fresh });
    return ids;
  }

  // ─── reading ────────────────────────────────────────────────────────────────────────────────

  async get<I = unknown, O = unknown>(id: string): Promise<Job<I, O>> {
    return this.#job(await this.#record(id)) as Job<I, O>;
  }

  async list(
    filter: JobFilter = {},
    options: { values?: boolean } = {},
  ): Promise<{ jobs: Job[]; next: string | null }> {
    this.#ready();
    const page = await this.#records.list(filter);
    return {
      jobs: page.jobs.map((j) => toJob(j, this.#runner.progressOf(j.id), options.values ?? true)),
      next: page.next,
    };
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
    return this.#job(job) as Job<I, O>;
  }

  async logs(id: string, limit?: number): Promise<LogEntry[]> {
    await this.#record(id);
    await this.#runner.flushLogs(id);
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
      running: running.filter(live).map((j) => this.#job(j)),
      pending: pending
        .filter(live)
        .filter((j) => j.status === 'pending')
        .sort((a, b) => b.priority - a.priority || a.createdAt - b.createdAt)
        .slice(0, limit)
        .map((j) => this.#job(j)),
      recent: recent.map((j) => this.#job(j)),
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
    if (TERMINAL_STATUSES.includes(job.status)) return this.#job(job);
    if (this.#runner.cancel(id)) return this.wait(id);
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

  // ─── host ─────────────────────────────────────────────────────────────────────────────────

  async #announce(): Promise<void> {
    if (this.#redis.status !== 'ready') return;
    const view: HostView = {
      id: this.hostId,
      hostname: hostname(),
      pid: process.pid,
      plugins: this.#runner.lanes.map((l) => l.plugin).filter((p) => this.#manager.get(p)?.enabled),
      running: this.#runner.runningIds,
      resources: this.scheduler.ledger.view(),
      seenAt: Date.now(),
    };
    await this.#hosts.announce(view).catch(() => {});
  }

  /** Jobs waiting for the plugins this host has (for `stop({ drain })`). */
  async #waitingForMine(): Promise<number> {
    let n = 0;
    for (const l of this.#runner.lanes) n += await this.#queue(l.plugin).getJobCountByTypes('prioritized', 'wait');
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
    return { channel: this.#channel, message: JSON.stringify({ h: this.hostId, t, e }) };
  }

  #publish(m: Message): void {
    if (this.#closed) return;
    void this.#redis.publish(this.#channel, JSON.stringify(m)).catch(() => {});
  }

  #onMessage(raw: Buffer): void {
    const m = parseMessage(raw);
    if (m === null || m.h === this.hostId) return;
    if (m.t === 'cancel') {
      this.#runner.cancel(m.e.id);
      return;
    }
    if (m.t === 'submitted') {
      for (const e of m.e) {
        this.#runner.poke(e.plugin);
        (this.emit as (k: string, v: unknown) => boolean)('submitted', e);
      }
      return;
    }
    (this.emit as (k: string, v: unknown) => boolean)(m.t, m.e);
    if (m.t === 'completed' || m.t === 'cancelled' || (m.t === 'failed' && !m.e.willRetry)) void this.#wake(m.e.id);
  }

  /** Resolves wait() callers of a job if it has ended. */
  async #wake(id: string): Promise<void> {
    const waiters = this.#settled.get(id);
    if (!waiters) return;
    const job = await this.#records.get(id).catch(() => null);
    if (job && TERMINAL_STATUSES.includes(job.status)) for (const w of [...waiters]) w(job);
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

  #job(job: JobRecord): Job {
    return toJob(job, this.#runner.progressOf(job.id));
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

/**
 * The plugins this host can run, each with a lane. A `PluginManager` lists them; a runner that
 * cannot list its plugins (a bare PluginRunner) runs nothing here, and submits and watches only.
 */
function pluginsOf(runner: PluginRunner): { name: string; enabled: boolean }[] {
  const list = (runner as { list?: () => { name: string; enabled: boolean }[] }).list;
  return typeof list === 'function' ? list.call(runner) : [];
}
