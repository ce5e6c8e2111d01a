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
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { Redis } from 'ioredis';
import type { ControlServer } from '../../control/server.js';
import type { LogEntry } from '../../process/log-buffer.js';
import type { Scheduler } from '../../resources/scheduler.js';
import { resolveJobId } from '../job-ids.js';
import type { JobQueueApi } from '../job-queue-api.js';
import type { JobEvent, JobFilter, JobRecord, RetentionPolicy } from '../job-store.js';
import { TERMINAL_STATUSES } from '../job-store.js';
import type { PluginRunner } from '../plugin-runner.js';
import { retentionOf, schedulerOf } from '../queue-defaults.js';
import type {
  Explanation,
  Job,
  JobQueueEvents,
  JobQueueOptions,
  QueueBackendView,
  QueueSnapshot,
  SubmitOptions,
} from '../types.js';
import { BullQueues } from './bull-queues.js';
import { ConnectionHealth } from './connection-health.js';
import { EventsChannel, endsJob, type Message } from './events-channel.js';
import { HostRegistry } from './host-registry.js';
import { addLanes, hostView, startTimers, waitingForMine } from './host-start.js';
import { JobRecords } from './job-records.js';
import { JobRunner } from './job-runner.js';
import { timelineOf, toJob } from './job-view.js';
import { JobWaiters } from './job-waiters.js';
import { openConnections, type RedisQueueSettings } from './queue-connections.js';
import { redactUrl } from './redis-connection.js';
import { cancelJob, reorderJob } from './redis-control.js';
import type { RedisQueueContext } from './redis-queue-context.js';
import { explainJob, resultOf, snapshotOf } from './redis-reads.js';
import { submitJobs } from './redis-submit.js';

export type { RedisQueueSettings } from './queue-connections.js';

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
  readonly #channel: EventsChannel;
  readonly #health: ConnectionHealth;
  readonly #records: JobRecords;
  readonly #hosts: HostRegistry;
  readonly #queues: BullQueues;
  readonly #runner: JobRunner;
  readonly #waiters: JobWaiters;
  readonly #timers: NodeJS.Timeout[] = [];
  #control: ControlServer | null = null;
  #started = false;
  #stopping = false;
  #closed = false;
  #stopped: Promise<void> | null = null;
  readonly #onManagerLog: (e: { name: string } & LogEntry) => void;
  readonly #ctx: RedisQueueContext;

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
    this.#queues = new BullQueues(bull, redis, settings.prefix);
    this.#waiters = new JobWaiters((id) => this.#records.get(id));
    this.hostId = `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 4)}`;
    this.#channel = new EventsChannel(redis, settings.prefix, this.hostId, () => this.#closed);
    this.scheduler = schedulerOf(options);
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
      message: (t, e) => this.#channel.message(t, e as never),
      wake: (id) => void this.#waiters.wake(id),
      onError: (e) => this.#health.failed(e),
    });
    this.#onManagerLog = (e) => this.#runner.pluginOutput(e);
    this.#ctx = {
      hostId: this.hostId,
      manager: this.#manager,
      scheduler: this.scheduler,
      options,
      prefix: settings.prefix,
      redis,
      records: this.#records,
      hosts: this.#hosts,
      runner: this.#runner,
      queue: (plugin) => this.#queues.get(plugin),
      record: (id) => this.#record(id),
      job: (job) => this.#job(job),
      emit: (t, e) => void (this.emit as (k: string, v: unknown) => boolean)(t, e),
      publish: (m) => this.#channel.publish(m),
      announceEvent: (t, e) => this.#announceEvent(t, e),
      get: (id) => this.get(id),
      wait: (id) => this.wait(id),
    };
    this.#health = new ConnectionHealth(redis, settings.url, () => {
      // Missed while away: finished jobs someone waits for, and jobs submitted meanwhile.
      for (const id of this.#waiters.ids()) void this.#waiters.wake(id);
      this.#runner.pokeAll();
    });
    sub.on('error', () => {});
    bull.on('error', () => {});
    sub.on('messageBuffer', (_channel: Buffer, raw: Buffer) =>
      this.#channel.receive(raw, {
        cancel: (id) => this.#runner.cancel(id),
        poke: (plugin) => this.#runner.poke(plugin),
        emit: (t, e) => (this.emit as (k: string, v: unknown) => boolean)(t, e),
        wake: (id) => void this.#waiters.wake(id),
      }),
    );
  }

  /** Connects (ERR_REDIS_UNAVAILABLE at once if Redis cannot be reached) and checks the server. */
  static async open(options: JobQueueOptions & { redis: string | RedisQueueSettings }): Promise<RedisJobQueue> {
    const { settings, ...connections } = await openConnections(options.redis);
    return new RedisJobQueue(options, settings, connections);
  }

  get control(): ControlServer | null {
    return this.#control;
  }

  /** Whether this host reaches Redis now, and the hosts that share the queue. */
  async backend(): Promise<QueueBackendView> {
    const { connected, error } = this.#health;
    const hosts = connected ? await this.#hosts.list().catch(() => []) : [];
    return {
      kind: 'redis',
      url: redactUrl(this.#settings.url),
      connected,
      error,
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
    addLanes(this.#manager, this.#runner, this.#bull, this.#settings, (e) => this.#health.failed(e));
    await this.scheduler.fresh().catch(() => {});
    this.#manager.on('log', this.#onManagerLog);
    this.#timers.push(
      ...startTimers(
        this.#settings,
        this.#runner,
        () => void this.#announce(),
        () => void this.prune().catch(() => {}),
      ),
    );
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
        while (!this.#closed && (this.#runner.inFlight > 0 || (await waitingForMine(this.#runner, this.#queues)) > 0)) {
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
      await this.#queues.close();
      this.#waiters.stopAll();
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
    return submitJobs(this.#ctx, jobs);
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
    return resultOf<O>(id, await this.#record(id));
  }

  async wait<I = unknown, O = unknown>(
    id: string,
    options: { timeout?: number; signal?: AbortSignal } = {},
  ): Promise<Job<I, O>> {
    let job = await this.#record(id);
    if (!TERMINAL_STATUSES.includes(job.status)) job = await this.#waiters.wait(id, options);
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
    return explainJob(this.#ctx, id, await this.#record(id));
  }

  async snapshot(options: { recent?: number; pending?: number } = {}): Promise<QueueSnapshot> {
    return snapshotOf(this.#ctx, await this.backend(), options);
  }

  // ─── changing ───────────────────────────────────────────────────────────────────────────────

  /** Pending: cancelled here; running on any host: that host is told (redis-control.ts). */
  async cancel(id: string): Promise<Job> {
    return cancelJob(this.#ctx, id);
  }

  /** A pending job to a new `priority`, or to `position` in its plugin's run order (redis-control.ts). */
  async reorder(id: string, to: { position: number } | { priority: number }): Promise<Job> {
    return reorderJob(this.#ctx, id, to);
  }

  async prune(policy?: RetentionPolicy): Promise<number> {
    this.#open();
    this.#ready();
    return this.#records.prune(policy ?? retentionOf(this.#options));
  }

  async resolveId(prefix: string): Promise<string> {
    this.#open();
    if (typeof prefix !== 'string' || prefix === '')
      throw new BulkheadError('ERR_INVALID_ARGUMENT', 'a job id (or the start of one) is required');
    this.#ready();
    return resolveJobId(this.#records, prefix);
  }

  // ─── host ─────────────────────────────────────────────────────────────────────────────────

  async #announce(): Promise<void> {
    if (!this.#health.connected) return;
    await this.#hosts.announce(hostView(this.hostId, this.#manager, this.#runner, this.scheduler)).catch(() => {});
  }

  // ─── events ─────────────────────────────────────────────────────────────────────────────────

  /** Emits here and tells the other hosts. */
  #announceEvent<K extends keyof JobQueueEvents & Message['t']>(t: K, e: JobQueueEvents[K][0]): void {
    (this.emit as (k: string, v: unknown) => boolean)(t, e);
    this.#channel.publish({ h: this.hostId, t, e } as Message);
    if (endsJob(t, e)) void this.#waiters.wake((e as { id: string }).id);
  }

  // ─── helpers ────────────────────────────────────────────────────────────────────────────────

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
    this.#health.assertReady();
  }
}
