/**
 * PluginManager: what an application holds to manage all of its plugins — discovery, lifecycle,
 * config, telemetry, eviction, crash restart and liveness — over one PluginProcess per plugin.
 *
 * @example
 * import { PluginManager } from 'bulkhead';
 *
 * await using manager = new PluginManager({ pluginPaths: ['./plugins'] });
 * await manager.discover();
 * const text = await manager.execute('transcribe', { audio }, { onProgress: (p) => bar.update(p.fraction) });
 * @module
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { type DiscoveredPlugin, type DiscoveryResult, discover, searchPaths } from '../manifest/index.js';
import { checkInput } from '../manifest/input-check.js';
import type { LogEntry } from '../process/log-buffer.js';
import type { CallOptions } from '../process/plugin-process.js';
import { LocalSystemMonitor, type SystemMonitor, type SystemSnapshot } from '../resources/index.js';
import type { ResourceNeeds } from '../resources/resource-ledger.js';
import { bulkheadHome } from '../util/home.js';
import { type Availability, CircuitBreaker } from './circuit-breaker.js';
import { updateConfig } from './config-update.js';
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from './crash-policy.js';
import { Evictor } from './evictor.js';
import { ManagedPlugin } from './managed-plugin.js';
import { executeOn, streamOn } from './plugin-calls.js';
import { configSchemaOf, effectiveConfig } from './plugin-config.js';
import { followLog, readLogTail } from './plugin-log.js';
import { mergeDiscovery, unknownPlugin } from './plugin-lookup.js';
import { PluginMonitor } from './plugin-monitor.js';
import { PluginWorkers } from './plugin-workers.js';
import { StateStore } from './state-store.js';
import { collectTelemetry } from './telemetry.js';
import type {
  ConfigApplied,
  PluginManagerEvents,
  PluginManagerOptions,
  PluginSummary,
  PluginTelemetry,
} from './types.js';
import { WorkerRecords } from './worker-records.js';

export class PluginManager extends EventEmitter<PluginManagerEvents> {
  readonly home: string;
  readonly #options: PluginManagerOptions;
  readonly #env: NodeJS.ProcessEnv;
  readonly #policy: RestartPolicy;
  readonly #state: StateStore;
  readonly #monitor: SystemMonitor;
  readonly #plugins = new Map<string, ManagedPlugin>();
  #discovery: DiscoveryResult | null = null;
  #discovering: Promise<DiscoveryResult> | null = null;
  readonly #evictor: Evictor;
  #closed = false;
  readonly #workers: PluginWorkers;
  readonly #now: () => number;

  constructor(options: PluginManagerOptions = {}) {
    super();
    this.#options = options;
    this.#env = options.env ?? process.env;
    this.home = options.home ?? bulkheadHome(this.#env);
    this.#policy = { ...DEFAULT_RESTART_POLICY, ...options.restart };
    this.#state = new StateStore(join(this.home, 'state.json'));
    this.#now = options.now ?? Date.now;
    const records = new WorkerRecords(this.home);
    // Workers a dead host left behind (stopped ones cannot end themselves): ended before any start.
    const orphans = records.sweep();
    if (orphans > 0)
      process.emitWarning(`ended ${orphans} worker(s) left by a Bulkhead host that died`, 'BulkheadWarning');
    this.#workers = new PluginWorkers({
      records,
      options,
      policy: this.#policy,
      state: this.#state,
      home: this.home,
      plugins: this.#plugins,
      events: this,
      config: (name) => this.getConfig(name),
      closed: () => this.#closed,
      now: this.#now,
      open: () => this.#open(),
    });
    const m = options.monitor;
    this.#monitor =
      m === undefined
        ? new LocalSystemMonitor(options.runCommand ? { runCommand: options.runCommand } : {})
        : 'plugin' in m
          ? new PluginMonitor(this, m.plugin)
          : m;
    this.#evictor = new Evictor(
      {
        candidates: () => this.#workers.candidates(),
        unload: (name, reason) => this.#workers.stop(this.#plugins.get(name) as ManagedPlugin, reason),
        now: this.#now,
      },
      options.idleTimeoutMs,
    );
  }

  // ─── discovery ──────────────────────────────────────────────────────────────────────────────

  /** The search paths, in precedence order. */
  get searchPaths(): string[] {
    // `<home>/plugins` is the home this manager uses (the option), not only the environment's.
    return searchPaths(this.#options.pluginPaths, { ...this.#env, BULKHEAD_HOME: this.home });
  }

  /**
   * Scans the search paths for manifests. Broken manifests are reported in `errors` and do not
   * stop the others. Running plugins keep running; vanished idle ones are forgotten.
   */
  async discover(): Promise<DiscoveryResult> {
    this.#open();
    if (this.#discovering) return this.#discovering;
    this.#discovering = discover(this.searchPaths).then((result) => {
      mergeDiscovery(this.#plugins, result, (plugin) => this.#newManaged(plugin));
      this.#discovery = result;
      return result;
    });
    try {
      return await this.#discovering;
    } finally {
      this.#discovering = null;
    }
  }

  /** The last discovery's result (null before the first). */
  get discovery(): DiscoveryResult | null {
    return this.#discovery;
  }

  // ─── lifecycle ──────────────────────────────────────────────────────────────────────────────

  /** Starts the plugin's worker if it is not running. Lazy: execute() calls it for you. */
  async load(name: string): Promise<PluginSummary> {
    await this.#workers.acquire(await this.#managed(name));
    return this.#summary(this.#plugins.get(name) as ManagedPlugin);
  }

  /** Loads every enabled plugin that is not failed, concurrently. Rejects with the first error after all settled. */
  async loadAll(): Promise<PluginSummary[]> {
    await this.#ensureDiscovered();
    const targets = [...this.#plugins.values()].filter((m) => this.#workers.enabled(m) && m.state !== 'failed');
    const results = await Promise.allSettled(targets.map((m) => this.#workers.acquire(m)));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
    return targets.map((m) => this.#summary(m));
  }

  /** Stops the plugin's worker (its cleanup runs). Calls still running are cancelled. */
  async unload(name: string): Promise<void> {
    const m = this.#plugins.get(name);
    if (m) await this.#workers.stop(m, 'requested');
  }

  async unloadAll(): Promise<void> {
    await Promise.all([...this.#plugins.values()].map((m) => this.#workers.stop(m, 'requested')));
  }

  /** Restarts the plugin's worker (or starts it). */
  async reload(name: string): Promise<PluginSummary> {
    const m = await this.#managed(name);
    const wasRunning = m.proc !== null;
    await this.#workers.stop(m, 'reload');
    const proc = await this.#workers.acquire(m);
    if (wasRunning) this.emit('restarted', { name, pid: proc.pid ?? -1, reason: 'reload' });
    return this.#summary(m);
  }

  /** Enables a plugin (persisted). */
  async enable(name: string): Promise<void> {
    const m = await this.#managed(name);
    this.#state.set(name, { enabled: true });
    if (m.state === 'disabled') m.setState('discovered');
  }

  /** Disables a plugin (persisted across restarts): it is unloaded and cannot be loaded or run. */
  async disable(name: string): Promise<void> {
    const m = await this.#managed(name);
    this.#state.set(name, { enabled: false });
    await this.#workers.stop(m, 'disabled');
    m.setState('disabled');
  }

  /**
   * Whether a plugin's circuit lets work through now: `closed`, `open` until `retryAt` (epoch ms),
   * or `half-open` (one trial). Cheap and synchronous, for the queue's dispatch.
   */
  availability(name: string): Availability {
    return this.#plugins.get(name)?.availability(this.#now()) ?? { state: 'closed', retryAt: null };
  }

  /** Closes a plugin's circuit breaker after it `failed`, so it may be loaded again. */
  async reset(name: string): Promise<void> {
    const m = await this.#managed(name);
    m.crashes.reset();
    delete m.lastError;
    delete m.lastStderr;
    if (m.state === 'failed' || m.state === 'crashed') m.setState(this.#workers.enabled(m) ? 'discovered' : 'disabled');
  }

  get(name: string): PluginSummary | undefined {
    const m = this.#plugins.get(name);
    return m && this.#summary(m);
  }

  list(): PluginSummary[] {
    return [...this.#plugins.values()].map((m) => this.#summary(m)).sort((a, b) => a.name.localeCompare(b.name));
  }

  // ─── calls ──────────────────────────────────────────────────────────────────────────────────

  /** Runs the plugin's `execute`, loading the plugin first if needed. */
  async execute<O = unknown>(name: string, input: unknown, options?: CallOptions): Promise<O> {
    const m = this.#plugins.get(name);
    // Fast path: no awaits before the call when the worker is up.
    const proc =
      m?.proc?.alive && m.state !== 'unresponsive' ? m.proc : await this.#workers.acquire(await this.#managed(name));
    const entry = m ?? (this.#plugins.get(name) as ManagedPlugin);
    return executeOn<O>(this.#workers, entry, proc, input, options);
  }

  /**
   * Runs the plugin's `stream`; iterate with `for await`, leaving the loop cancels it. Input that
   * breaks the manifest's `inputSchema` is refused (ERR_INPUT_INVALID) before any worker starts.
   */
  async *stream<T = unknown>(name: string, input: unknown, options?: Omit<CallOptions, 'timeout'>): AsyncGenerator<T> {
    const m = await this.#managed(name);
    checkInput(name, this.inputSchemaOf(name), input);
    const proc = await this.#workers.acquire(m);
    yield* streamOn<T>(this.#workers, m, proc, input, options);
  }

  // ─── config ─────────────────────────────────────────────────────────────────────────────────

  /** The JSON Schema of the plugin's config: from its manifest, else from its running worker. */
  getConfigSchema(name: string): Record<string, unknown> | null {
    return configSchemaOf(this.#known(name));
  }

  /** Effective config: schema defaults, then the manifest's `config`, then what the user set. */
  getConfig(name: string): Record<string, unknown> {
    return effectiveConfig(this.#known(name), this.#state.get(name).config);
  }

  /**
   * Validates `partial` merged over the current config against the plugin's schema — refusing it
   * with every failing field, and changing nothing, if it does not validate — then applies it:
   * live through the plugin's `configure` when it has one, else by restarting its worker once it
   * is idle. Persisted.
   */
  async updateConfig(
    name: string,
    partial: Record<string, unknown>,
  ): Promise<{ config: Record<string, unknown>; applied: ConfigApplied }> {
    this.#open();
    const m = await this.#managed(name);
    return updateConfig({ state: this.#state, workers: this.#workers, events: this }, m, partial);
  }

  // ─── telemetry ──────────────────────────────────────────────────────────────────────────────

  /** CPU, RSS (whole process group) and GPU memory of one plugin, or of every loaded plugin. */
  async telemetry(name: string): Promise<PluginTelemetry>;
  async telemetry(): Promise<PluginTelemetry[]>;
  async telemetry(name?: string): Promise<PluginTelemetry | PluginTelemetry[]> {
    const targets =
      name === undefined ? [...this.#plugins.values()].filter((m) => m.proc !== null) : [this.#known(name)];
    const rows = await collectTelemetry(targets, this.#monitor, this.#now);
    return name === undefined ? rows : (rows[0] as PluginTelemetry);
  }

  /** The monitor this manager measures with (a scheduler shares it). */
  get monitor(): SystemMonitor {
    return this.#monitor;
  }

  /** CPU, RAM and GPUs of the machine (or whatever the monitor plugin reports). */
  system(): Promise<SystemSnapshot> {
    return this.#monitor.sample();
  }

  // ─── logs ───────────────────────────────────────────────────────────────────────────────────

  /**
   * The plugin's newest log entries (from memory, else from its log file of an earlier run), or,
   * with `follow`, those and then every new one as it comes, until `signal` aborts.
   */
  logs(name: string, options: { tail?: number; follow: true; signal?: AbortSignal }): AsyncIterable<LogEntry>;
  logs(name: string, options?: { tail?: number; follow?: false }): LogEntry[];
  logs(
    name: string,
    options: { tail?: number; follow?: boolean; signal?: AbortSignal } = {},
  ): LogEntry[] | AsyncIterable<LogEntry> {
    const m = this.#known(name);
    const n = options.tail ?? 100;
    const recent = () =>
      m.log && m.log.tail().length > 0 ? m.log.tail(n) : readLogTail(this.#workers.logFile(name), n);
    if (!options.follow) return recent();
    return followLog(this.#workers.logFor(m), recent(), options.signal);
  }

  // ─── for schedulers ─────────────────────────────────────────────────────────────────────────

  /** What the plugin's manifest says one call of it needs. */
  resourcesOf(name: string): ResourceNeeds {
    return { ...(this.#known(name).plugin.manifest.resources ?? {}) };
  }

  /** Calls the plugin takes at once (manifest `concurrency`, default 1). */
  concurrencyOf(name: string): number {
    return this.#known(name).plugin.manifest.concurrency ?? this.#options.defaultConcurrency ?? 1;
  }

  /** The plugin's declared input schema (manifest `inputSchema`), if any. */
  inputSchemaOf(name: string): Record<string, unknown> | null {
    return (this.#known(name).plugin.manifest.inputSchema as Record<string, unknown> | undefined) ?? null;
  }

  /** Is the plugin's worker up (so a call will not wait for a cold start)? */
  isLoaded(name: string): boolean {
    const m = this.#plugins.get(name);
    return m?.proc?.alive === true;
  }

  /**
   * Unloads idle plugins, least recently used first, that hold at least part of what is short
   * (declared needs or measured RSS). Returns the names unloaded (none if nothing would help).
   */
  evictFor(shortfall: { memoryMB?: number; gpuMemoryMB?: number }): Promise<string[]> {
    return this.#evictor.forShortfall(shortfall);
  }

  // ─── eviction ───────────────────────────────────────────────────────────────────────────────

  /** Unloads plugins idle for longer than `idleTimeoutMs` (runs on a timer; callable by hand). */
  evictIdle(idleTimeoutMs?: number): Promise<string[]> {
    return this.#evictor.idle(idleTimeoutMs);
  }

  // ─── shutdown ───────────────────────────────────────────────────────────────────────────────

  /** Stops every worker and closes logs. Idempotent; afterwards calls fail with ERR_MANAGER_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#workers.discardPrelaunched();
    this.#evictor.close();
    for (const m of this.#plugins.values()) m.wakeBackoff?.();
    await Promise.all([...this.#plugins.values()].map((m) => this.#workers.stop(m, 'closing')));
    await Promise.all([...this.#plugins.values()].map((m) => m.log?.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ─── internals ──────────────────────────────────────────────────────────────────────────────

  #open(): void {
    if (this.#closed) throw new BulkheadError('ERR_MANAGER_CLOSED', 'the plugin manager was closed');
  }

  async #ensureDiscovered(): Promise<void> {
    if (this.#discovery === null) await this.discover();
  }

  async #managed(name: string): Promise<ManagedPlugin> {
    this.#open();
    if (!this.#plugins.has(name)) await this.discover();
    return this.#known(name);
  }

  #known(name: string): ManagedPlugin {
    const m = this.#plugins.get(name);
    if (m) return m;
    throw unknownPlugin(name, [...this.#plugins.keys()], this.#discovery);
  }

  #newManaged(plugin: DiscoveredPlugin): ManagedPlugin {
    const enabled = this.#state.get(plugin.manifest.name).enabled;
    return new ManagedPlugin(
      plugin,
      new CircuitBreaker(this.#policy),
      enabled ? 'discovered' : 'disabled',
      (m, previous) => {
        if (this.listenerCount('state') > 0) this.emit('state', { name: m.name, state: m.state, previous });
      },
      this.#now,
    );
  }

  #summary(m: ManagedPlugin): PluginSummary {
    return m.summary(this.#workers.enabled(m), this.getConfig(m.name));
  }
}
