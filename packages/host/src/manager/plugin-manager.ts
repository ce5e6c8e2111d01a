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
import { basename, dirname, join } from 'node:path';
import { BulkheadError, isBulkheadError } from '@bulkhead/sdk/errors';
import {
  applyDefaults,
  type DiscoveredPlugin,
  type DiscoveryResult,
  describeIssues,
  discover,
  searchPaths,
  validateAgainstSchema,
} from '../manifest/index.js';
import type { LogEntry } from '../process/log-buffer.js';
import { type CallOptions, PluginProcess } from '../process/plugin-process.js';
import { LocalSystemMonitor, type SystemMonitor, type SystemSnapshot } from '../resources/index.js';
import type { ResourceNeeds } from '../resources/resource-ledger.js';
import { bulkheadHome } from '../util/home.js';
import { CrashTracker, DEFAULT_RESTART_POLICY, type RestartPolicy } from './crash-policy.js';
import { type EvictionCandidate, idleVictims, victimsFor } from './eviction.js';
import { PluginLog, readLogTail } from './plugin-log.js';
import { PluginMonitor } from './plugin-monitor.js';
import { StateStore } from './state-store.js';
import { collectTelemetry, type GroupCpu } from './telemetry.js';
import type {
  ConfigApplied,
  PluginManagerEvents,
  PluginManagerOptions,
  PluginState,
  PluginSummary,
  PluginTelemetry,
} from './types.js';
import { workerOptionsFor } from './worker-options.js';

interface Managed {
  plugin: DiscoveredPlugin;
  proc: PluginProcess | null;
  loading: Promise<PluginProcess> | null;
  state: PluginState;
  inFlight: number;
  idleWaiters: (() => void)[];
  lastUsed: number | null;
  loadedAt: number | null;
  crashes: CrashTracker;
  lastError?: string;
  /** The last lines of stderr of the worker that crashed last. */
  lastStderr?: string[];
  log: PluginLog | null;
  calls: number;
  errors: number;
  lastDurationMs: number | null;
  cpu: GroupCpu;
  pingTimer: NodeJS.Timeout | null;
  restartTimer: NodeJS.Timeout | null;
  configChain: Promise<unknown>;
  wakeBackoff: (() => void) | null;
}

export class PluginManager extends EventEmitter<PluginManagerEvents> {
  readonly home: string;
  readonly #options: PluginManagerOptions;
  readonly #env: NodeJS.ProcessEnv;
  readonly #policy: RestartPolicy;
  readonly #state: StateStore;
  readonly #monitor: SystemMonitor;
  readonly #plugins = new Map<string, Managed>();
  #discovery: DiscoveryResult | null = null;
  #discovering: Promise<DiscoveryResult> | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: PluginManagerOptions = {}) {
    super();
    this.#options = options;
    this.#env = options.env ?? process.env;
    this.home = options.home ?? bulkheadHome(this.#env);
    this.#policy = { ...DEFAULT_RESTART_POLICY, ...options.restart };
    this.#state = new StateStore(join(this.home, 'state.json'));
    const m = options.monitor;
    this.#monitor =
      m === undefined
        ? new LocalSystemMonitor(options.runCommand ? { runCommand: options.runCommand } : {})
        : 'plugin' in m
          ? new PluginMonitor(this, m.plugin)
          : m;
    const idle = options.idleTimeoutMs;
    if (idle !== undefined && idle > 0) {
      this.#idleTimer = setInterval(() => void this.evictIdle(), Math.max(20, Math.min(idle / 2, 10_000)));
      this.#idleTimer.unref();
    }
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
      const seen = new Set<string>();
      for (const plugin of result.plugins) {
        const name = plugin.manifest.name;
        seen.add(name);
        const existing = this.#plugins.get(name);
        if (existing) existing.plugin = plugin;
        else this.#plugins.set(name, this.#newManaged(plugin));
      }
      for (const [name, m] of this.#plugins) {
        if (seen.has(name) || m.proc !== null || m.loading) continue;
        if (m.restartTimer) clearTimeout(m.restartTimer);
        this.#plugins.delete(name);
      }
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
    await this.#acquire(await this.#managed(name));
    return this.#summary(this.#plugins.get(name) as Managed);
  }

  /** Loads every enabled plugin that is not failed, concurrently. Rejects with the first error after all settled. */
  async loadAll(): Promise<PluginSummary[]> {
    await this.#ensureDiscovered();
    const targets = [...this.#plugins.values()].filter((m) => this.#enabled(m) && m.state !== 'failed');
    const results = await Promise.allSettled(targets.map((m) => this.#acquire(m)));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
    return targets.map((m) => this.#summary(m));
  }

  /** Stops the plugin's worker (its cleanup runs). Calls still running are cancelled. */
  async unload(name: string): Promise<void> {
    const m = this.#plugins.get(name);
    if (m) await this.#stopWorker(m, 'requested');
  }

  async unloadAll(): Promise<void> {
    await Promise.all([...this.#plugins.values()].map((m) => this.#stopWorker(m, 'requested')));
  }

  /** Restarts the plugin's worker (or starts it). */
  async reload(name: string): Promise<PluginSummary> {
    const m = await this.#managed(name);
    const wasRunning = m.proc !== null;
    await this.#stopWorker(m, 'reload');
    const proc = await this.#acquire(m);
    if (wasRunning) this.emit('restarted', { name, pid: proc.pid ?? -1, reason: 'reload' });
    return this.#summary(m);
  }

  /** Enables a plugin (persisted). */
  async enable(name: string): Promise<void> {
    const m = await this.#managed(name);
    this.#state.set(name, { enabled: true });
    if (m.state === 'disabled') this.#setState(m, 'discovered');
  }

  /** Disables a plugin (persisted across restarts): it is unloaded and cannot be loaded or run. */
  async disable(name: string): Promise<void> {
    const m = await this.#managed(name);
    this.#state.set(name, { enabled: false });
    await this.#stopWorker(m, 'disabled');
    this.#setState(m, 'disabled');
  }

  /** Closes a plugin's circuit breaker after it `failed`, so it may be loaded again. */
  async reset(name: string): Promise<void> {
    const m = await this.#managed(name);
    m.crashes.reset();
    delete m.lastError;
    delete m.lastStderr;
    if (m.state === 'failed' || m.state === 'crashed') this.#setState(m, this.#enabled(m) ? 'discovered' : 'disabled');
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
    const proc = m?.proc?.alive && m.state !== 'unresponsive' ? m.proc : await this.#acquire(await this.#managed(name));
    const entry = m ?? (this.#plugins.get(name) as Managed);
    this.#begin(entry);
    const t0 = performance.now();
    let failed = false;
    try {
      return (await proc.execute(input, options)) as O;
    } catch (e) {
      failed = true;
      this.#callFailed(entry, proc, e);
      throw e;
    } finally {
      this.#end(entry, performance.now() - t0, failed);
    }
  }

  /** Runs the plugin's `stream`; iterate with `for await`, leaving the loop cancels it. */
  async *stream<T = unknown>(name: string, input: unknown, options?: Omit<CallOptions, 'timeout'>): AsyncGenerator<T> {
    const m = await this.#managed(name);
    const proc = await this.#acquire(m);
    this.#begin(m);
    const t0 = performance.now();
    let failed = false;
    try {
      yield* proc.stream(input, options) as AsyncIterable<T>;
    } catch (e) {
      failed = true;
      this.#callFailed(m, proc, e);
      throw e;
    } finally {
      this.#end(m, performance.now() - t0, failed);
    }
  }

  // ─── config ─────────────────────────────────────────────────────────────────────────────────

  /** The JSON Schema of the plugin's config: from its manifest, else from its running worker. */
  getConfigSchema(name: string): Record<string, unknown> | null {
    const m = this.#known(name);
    return (m.plugin.manifest.configSchema as Record<string, unknown> | undefined) ?? m.proc?.info.configSchema ?? null;
  }

  /** Effective config: schema defaults, then the manifest's `config`, then what the user set. */
  getConfig(name: string): Record<string, unknown> {
    const m = this.#known(name);
    const merged = { ...(m.plugin.manifest.config ?? {}), ...(this.#state.get(name).config ?? {}) };
    const schema = this.getConfigSchema(name);
    return schema ? (applyDefaults(schema, merged) as Record<string, unknown>) : merged;
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
    // One update at a time per plugin: each merges over the one before, none is lost.
    const run = m.configChain.then(() => this.#updateConfig(m, name, partial));
    m.configChain = run.catch(() => {});
    return run;
  }

  async #updateConfig(
    m: Managed,
    name: string,
    partial: Record<string, unknown>,
  ): Promise<{ config: Record<string, unknown>; applied: ConfigApplied }> {
    // A worker starting now was given the old config: apply the new one to it once it is up.
    if (m.loading) await m.loading.catch(() => {});
    if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', 'updateConfig expects an object of config fields');
    }
    const user = { ...(this.#state.get(name).config ?? {}), ...partial };
    const next = { ...(m.plugin.manifest.config ?? {}), ...user };
    const schema = this.getConfigSchema(name);
    if (schema) {
      const issues = validateAgainstSchema(schema, next);
      if (issues.length > 0) {
        const list = describeIssues(issues);
        throw new BulkheadError('ERR_CONFIG_INVALID', `invalid config for plugin "${name}": ${list}`, { issues });
      }
    }
    const config = schema ? (applyDefaults(schema, next) as Record<string, unknown>) : next;
    let applied: ConfigApplied = 'stored';
    const proc = m.proc;
    if (proc?.alive) {
      if (proc.info.capabilities.configure) {
        await proc.configure(config as never); // the worker validates too; on refusal nothing is stored
        applied = 'hot';
      } else applied = 'restart';
    }
    // Merged into the config as stored now: another process may have set other keys meanwhile.
    this.#state.update(name, (current) => ({ config: { ...(current.config ?? {}), ...partial } }));
    if (applied === 'restart') {
      await this.#whenIdle(m);
      await this.#stopWorker(m, 'config');
      const fresh = await this.#acquire(m);
      this.emit('restarted', { name, pid: fresh.pid ?? -1, reason: 'config' });
    }
    this.#note(m, 'info', `config changed (${applied})`);
    this.emit('config-changed', { name, config, applied });
    return { config, applied };
  }

  // ─── telemetry ──────────────────────────────────────────────────────────────────────────────

  /** CPU, RSS (whole process group) and GPU memory of one plugin, or of every loaded plugin. */
  async telemetry(name: string): Promise<PluginTelemetry>;
  async telemetry(): Promise<PluginTelemetry[]>;
  async telemetry(name?: string): Promise<PluginTelemetry | PluginTelemetry[]> {
    const targets =
      name === undefined ? [...this.#plugins.values()].filter((m) => m.proc !== null) : [this.#known(name)];
    const rows = await collectTelemetry(targets, this.#monitor);
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
    const recent = () => (m.log && m.log.tail().length > 0 ? m.log.tail(n) : readLogTail(this.#logFile(name), n));
    if (!options.follow) return recent();
    return followLog(this.#logFor(m), recent(), options.signal);
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
  async evictFor(shortfall: { memoryMB?: number; gpuMemoryMB?: number }): Promise<string[]> {
    const victims = victimsFor(this.#candidates(), shortfall.memoryMB ?? 0, shortfall.gpuMemoryMB ?? 0) ?? [];
    await Promise.all(victims.map((v) => this.#stopWorker(this.#plugins.get(v.name) as Managed, 'budget')));
    return victims.map((v) => v.name);
  }

  // ─── eviction ───────────────────────────────────────────────────────────────────────────────

  /** Unloads plugins idle for longer than `idleTimeoutMs` (runs on a timer; callable by hand). */
  async evictIdle(idleTimeoutMs = this.#options.idleTimeoutMs ?? Number.POSITIVE_INFINITY): Promise<string[]> {
    const victims = idleVictims(this.#candidates(), Date.now() - idleTimeoutMs);
    await Promise.all(victims.map((v) => this.#stopWorker(this.#plugins.get(v.name) as Managed, 'idle')));
    return victims.map((v) => v.name);
  }

  // ─── shutdown ───────────────────────────────────────────────────────────────────────────────

  /** Stops every worker and closes logs. Idempotent; afterwards calls fail with ERR_MANAGER_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#idleTimer) clearInterval(this.#idleTimer);
    for (const m of this.#plugins.values()) m.wakeBackoff?.();
    await Promise.all([...this.#plugins.values()].map((m) => this.#stopWorker(m, 'closing')));
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

  async #managed(name: string): Promise<Managed> {
    this.#open();
    if (!this.#plugins.has(name)) await this.discover();
    return this.#known(name);
  }

  #known(name: string): Managed {
    const m = this.#plugins.get(name);
    if (m) return m;
    // A plugin whose manifest is broken is named by its directory: say why it was not discovered.
    const broken = this.#discovery?.errors.find((e) => basename(dirname(e.file)) === name);
    if (broken !== undefined) {
      throw new BulkheadError(
        'ERR_UNKNOWN_PLUGIN',
        `plugin "${name}" was not discovered: its manifest ${broken.file} is invalid: ${broken.message}`,
        { name, manifest: broken.file, manifestError: broken.message },
      );
    }
    const known = [...this.#plugins.keys()];
    const close = known.filter((k) => k.includes(name) || name.includes(k));
    throw new BulkheadError(
      'ERR_UNKNOWN_PLUGIN',
      `no plugin named "${name}"${close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(', ')}?)` : ''}`,
      {
        name,
        ...(close.length ? { known: close } : {}),
      },
    );
  }

  #newManaged(plugin: DiscoveredPlugin): Managed {
    const m: Managed = {
      plugin,
      proc: null,
      loading: null,
      state: 'discovered',
      inFlight: 0,
      idleWaiters: [],
      lastUsed: null,
      loadedAt: null,
      crashes: new CrashTracker(this.#policy),
      log: null,
      calls: 0,
      errors: 0,
      lastDurationMs: null,
      cpu: { last: null },
      pingTimer: null,
      restartTimer: null,
      configChain: Promise.resolve(),
      wakeBackoff: null,
    };
    if (!this.#enabled(m)) m.state = 'disabled';
    return m;
  }

  #enabled(m: Managed): boolean {
    return this.#state.get(m.plugin.manifest.name).enabled;
  }

  /** The running worker of a plugin, starting it when needed. */
  async #acquire(m: Managed): Promise<PluginProcess> {
    this.#open();
    const name = m.plugin.manifest.name;
    if (!this.#enabled(m))
      throw new BulkheadError('ERR_PLUGIN_DISABLED', `plugin "${name}" is disabled; enable it first`, { name });
    if (m.state === 'failed') {
      throw new BulkheadError(
        'ERR_PLUGIN_CIRCUIT_OPEN',
        `plugin "${name}" crashed ${m.crashes.count} times within ${this.#policy.windowMs} ms and is not restarted until reset: ${m.lastError ?? ''}`,
        {
          name,
          crashes: m.crashes.count,
          ...(m.lastError ? { lastError: m.lastError } : {}),
          ...(m.lastStderr ? { stderrTail: m.lastStderr } : {}),
        },
      );
    }
    // An unresponsive worker is replaced on next use, unless the policy says to leave it alone.
    const leaveAlone = (this.#options.liveness?.onUnresponsive ?? 'restart') === 'report';
    if (m.proc?.alive && (m.state !== 'unresponsive' || leaveAlone)) return m.proc;
    if (m.loading) return m.loading;
    m.loading = this.#start(m).finally(() => {
      m.loading = null;
    });
    return m.loading;
  }

  async #start(m: Managed): Promise<PluginProcess> {
    const name = m.plugin.manifest.name;
    if (m.restartTimer) {
      clearTimeout(m.restartTimer);
      m.restartTimer = null;
    }
    const wait = m.crashes.delay(Date.now());
    if (wait > 0) {
      // close() cuts the backoff short (and then nothing starts).
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        m.wakeBackoff = () => {
          clearTimeout(t);
          resolve();
        };
      });
      m.wakeBackoff = null;
    }
    this.#open(); // closed during the backoff: start nothing
    if (m.proc) await this.#stopWorker(m, 'reload'); // an unresponsive one being replaced
    await this.#makeRoom(m);
    this.#setState(m, 'loading');
    const t0 = performance.now();
    const { plugin } = m;
    let proc: PluginProcess;
    try {
      proc = await PluginProcess.start({
        ...workerOptionsFor(plugin, this.#options.worker),
        // Worked out once the worker is spawned: filling in the schema's defaults may load and run
        // Ajv, tens of ms that the worker's start now hides.
        config: () => this.getConfig(name),
      });
    } catch (e) {
      // A plugin that cannot start counts against its circuit breaker like a crash.
      const message = e instanceof Error ? e.message : String(e);
      m.lastError = message;
      const open = m.crashes.record(Date.now());
      this.#note(m, 'error', `failed to start: ${message}`);
      this.#setState(m, open ? 'failed' : 'discovered');
      throw e;
    }
    if (this.#closed) {
      await proc.stop();
      throw new BulkheadError('ERR_MANAGER_CLOSED', 'the plugin manager was closed');
    }
    this.#wire(m, proc);
    m.proc = proc;
    m.loadedAt = Date.now();
    m.cpu = { last: null };
    this.#setState(m, m.inFlight > 0 ? 'busy' : 'ready');
    this.#startLiveness(m, proc);
    // A prelaunched worker's start began at its spawn, before this call.
    const ms = performance.now() - Math.min(t0, proc.prelaunchedAt ?? t0);
    this.#note(m, 'info', `loaded (pid ${proc.pid}, ${ms.toFixed(0)} ms${proc.prelaunchedAt ? ', prelaunched' : ''})`);
    this.emit('loaded', { name, pid: proc.pid ?? -1, ms });
    return proc;
  }

  #wire(m: Managed, proc: PluginProcess): void {
    const name = m.plugin.manifest.name;
    const log = this.#logFor(m);
    // What the worker logged while it started (initialize loading a model, say) came before these
    // listeners: keep it too.
    for (const entry of proc.logs()) log.append(entry);
    proc.on('log', (entry) => {
      log.append(entry);
      if (this.listenerCount('log') > 0) this.emit('log', { name, ...entry });
    });
    proc.on('progress', (p) => {
      if (this.listenerCount('progress') > 0) this.emit('progress', { name, ...p });
    });
    proc.on('exit', (exit) => {
      if (m.proc !== proc) return; // an old worker, already replaced
      m.proc = null;
      this.#stopLiveness(m);
      if (exit.expected) return; // stopWorker sets the state
      if (exit.error?.data && (exit.error.data as { reason?: string }).reason === 'cancel-timeout') {
        // Killed because a call ignored its cancel: the plugin misbehaved, but it did not crash.
        // It restarts on next use and does not count against the circuit breaker.
        this.#note(m, 'warn', 'worker killed: a call ignored its cancel');
        this.#setState(m, this.#enabled(m) ? 'discovered' : 'disabled');
        return;
      }
      const open = m.crashes.record(Date.now());
      m.lastError =
        exit.error?.message ?? `worker exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.exitCode}`}`;
      m.lastStderr = exit.stderrTail;
      this.#setState(m, open ? 'failed' : 'crashed');
      this.emit('crashed', {
        name,
        exitCode: exit.exitCode,
        signal: exit.signal,
        stderrTail: exit.stderrTail,
        crashes: m.crashes.count,
        failed: open,
      });
      if (!open && this.#policy.mode === 'eager' && !this.#closed) this.#scheduleRestart(m, 'crash');
    });
  }

  #scheduleRestart(m: Managed, reason: 'crash' | 'unresponsive'): void {
    const delay = m.crashes.delay(Date.now());
    m.restartTimer = setTimeout(() => {
      m.restartTimer = null;
      if (this.#closed || m.proc !== null || m.loading) return;
      this.#acquire(m).then(
        (proc) => this.emit('restarted', { name: m.plugin.manifest.name, pid: proc.pid ?? -1, reason }),
        () => {}, // recorded by #start; the next crash or call reports it
      );
    }, delay);
    m.restartTimer.unref();
  }

  async #stopWorker(m: Managed, reason: PluginManagerEvents['unloaded'][0]['reason']): Promise<void> {
    if (m.restartTimer) {
      clearTimeout(m.restartTimer);
      m.restartTimer = null;
    }
    if (m.loading) await m.loading.catch(() => {});
    const proc = m.proc;
    if (proc === null) return;
    m.proc = null;
    this.#stopLiveness(m);
    await proc.stop();
    // A call may have started a new worker while this one stopped: then its state stands.
    if (m.proc === null && !m.loading) {
      m.loadedAt = null;
      if (m.state !== 'failed') this.#setState(m, this.#enabled(m) ? 'discovered' : 'disabled');
    }
    this.#note(m, 'info', `unloaded (${reason})`);
    this.emit('unloaded', { name: m.plugin.manifest.name, reason });
  }

  #begin(m: Managed): void {
    m.inFlight++;
    m.calls++;
    if (m.inFlight === 1 && m.state === 'ready') this.#setState(m, 'busy');
  }

  #end(m: Managed, ms: number, failed: boolean): void {
    m.inFlight--;
    m.lastUsed = Date.now();
    m.lastDurationMs = ms;
    if (failed) m.errors++;
    if (m.inFlight === 0) {
      if (m.state === 'busy') this.#setState(m, 'ready');
      for (const wake of m.idleWaiters.splice(0)) wake();
    }
  }

  #callFailed(m: Managed, proc: PluginProcess, e: unknown): void {
    if (isBulkheadError(e, 'ERR_TIMEOUT')) {
      this.emit('unresponsive', {
        name: m.plugin.manifest.name,
        pid: proc.pid ?? null,
        reason: 'a call exceeded its timeout',
      });
    }
  }

  #whenIdle(m: Managed): Promise<void> {
    if (m.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => m.idleWaiters.push(resolve));
  }

  #startLiveness(m: Managed, proc: PluginProcess): void {
    const every = this.#options.liveness?.pingIntervalMs ?? 15_000;
    if (every <= 0) return;
    const timeout = this.#options.liveness?.pingTimeoutMs ?? 5_000;
    let pinging = false;
    m.pingTimer = setInterval(() => {
      if (pinging || m.inFlight > 0 || m.proc !== proc || !proc.alive) return;
      pinging = true;
      proc.ping(timeout).then(
        () => {
          pinging = false;
          if (m.state === 'unresponsive' && m.proc === proc) this.#setState(m, m.inFlight > 0 ? 'busy' : 'ready');
        },
        (e) => {
          pinging = false;
          if (m.proc === proc && isBulkheadError(e, 'ERR_TIMEOUT'))
            void this.#unresponsive(m, proc, `no answer to a ping within ${timeout} ms`);
        },
      );
    }, every);
    m.pingTimer.unref();
  }

  #stopLiveness(m: Managed): void {
    if (m.pingTimer) clearInterval(m.pingTimer);
    m.pingTimer = null;
  }

  async #unresponsive(m: Managed, proc: PluginProcess, reason: string): Promise<void> {
    const name = m.plugin.manifest.name;
    this.#setState(m, 'unresponsive');
    this.#note(m, 'warn', `unresponsive: ${reason}`);
    this.emit('unresponsive', { name, pid: proc.pid ?? null, reason });
    if ((this.#options.liveness?.onUnresponsive ?? 'restart') !== 'restart') return;
    m.proc = null;
    this.#stopLiveness(m);
    await proc.kill(`unresponsive: ${reason}`);
    m.lastError = `unresponsive: ${reason}`;
    if (m.crashes.record(Date.now())) {
      // Hangs count like crashes: one that keeps hanging ends up failed, not restarted forever.
      this.#setState(m, 'failed');
      return;
    }
    if (this.#closed) return;
    const fresh = await this.#acquire(m).catch(() => null);
    if (fresh) this.emit('restarted', { name, pid: fresh.pid ?? -1, reason: 'unresponsive' });
  }

  /** Evicts idle plugins, LRU first, until the plugin's declared needs fit the budget. */
  async #makeRoom(m: Managed): Promise<void> {
    const budget = this.#options.budget;
    if (!budget) return;
    const need = m.plugin.manifest.resources ?? {};
    const others = this.#candidates().filter((c) => c.name !== m.plugin.manifest.name);
    const short = (limit: number | undefined, used: number, needed = 0) =>
      limit === undefined ? 0 : Math.max(0, used + needed - limit);
    const usedMem = others.reduce((s, c) => s + c.memoryMB, 0);
    const usedGpu = others.reduce((s, c) => s + c.gpuMemoryMB, 0);
    const shortMem = short(budget.memoryMB, usedMem, need.memoryMB);
    const shortGpu = short(budget.gpuMemoryMB, usedGpu, need.gpuMemoryMB);
    if (shortMem === 0 && shortGpu === 0) return;
    const victims = victimsFor(others, shortMem, shortGpu);
    if (victims === undefined) {
      const [resource, needed, limit, used] =
        shortGpu > 0
          ? ['gpuMemoryMB', need.gpuMemoryMB ?? 0, budget.gpuMemoryMB ?? 0, usedGpu]
          : ['memoryMB', need.memoryMB ?? 0, budget.memoryMB ?? 0, usedMem];
      throw new BulkheadError(
        'ERR_INSUFFICIENT_RESOURCES',
        `plugin "${m.plugin.manifest.name}" needs ${needed} MB of ${resource === 'gpuMemoryMB' ? 'GPU memory' : 'RAM'}; the budget has ${Math.max(0, limit - used)} MB free and busy plugins cannot be evicted`,
        { resource, needed, free: Math.max(0, limit - used), unit: 'MB' },
      );
    }
    await Promise.all(victims.map((v) => this.#stopWorker(this.#plugins.get(v.name) as Managed, 'budget')));
  }

  /** Loaded plugins as eviction candidates: declared needs, or measured RSS when larger. */
  #candidates(): EvictionCandidate[] {
    const out: EvictionCandidate[] = [];
    for (const [name, m] of this.#plugins) {
      if (m.proc === null) continue;
      const r = m.plugin.manifest.resources ?? {};
      out.push({
        name,
        idle: m.inFlight === 0 && !m.loading,
        lastUsed: m.lastUsed ?? m.loadedAt ?? 0,
        memoryMB: Math.max(r.memoryMB ?? 0, m.cpu.rssBytes ? m.cpu.rssBytes / 2 ** 20 : 0),
        gpuMemoryMB: r.gpuMemoryMB ?? 0,
      });
    }
    return out;
  }

  #logFor(m: Managed): PluginLog {
    m.log ??= new PluginLog(join(this.home, 'logs'), m.plugin.manifest.name, this.#options.log);
    return m.log;
  }

  #logFile(name: string): string {
    return join(this.home, 'logs', `${name.replaceAll('/', '__')}.log`);
  }

  /** A host-side note about a plugin, in its log. */
  #note(m: Managed, level: LogEntry['level'], message: string): void {
    const entry: LogEntry = { time: Date.now(), source: 'host', level, message };
    this.#logFor(m).append(entry);
    if (this.listenerCount('log') > 0) this.emit('log', { name: m.plugin.manifest.name, ...entry });
  }

  #setState(m: Managed, state: PluginState): void {
    const previous = m.state;
    if (previous === state) return;
    m.state = state;
    if (this.listenerCount('state') > 0) this.emit('state', { name: m.plugin.manifest.name, state, previous });
  }

  #summary(m: Managed): PluginSummary {
    const mf = m.plugin.manifest;
    const s: PluginSummary = {
      name: mf.name,
      version: mf.version,
      category: mf.category ?? 'general',
      state: m.state,
      enabled: this.#enabled(m),
      pid: m.proc?.pid ?? null,
      lastUsed: m.lastUsed,
      loadedAt: m.loadedAt,
      config: this.getConfig(mf.name),
      resources: mf.resources ?? {},
      inputSchema: (mf.inputSchema as Record<string, unknown> | undefined) ?? null,
      capabilities: m.proc?.info.capabilities ?? mf.capabilities ?? {},
      crashes: m.crashes.count,
      manifestPath: m.plugin.manifestPath,
    };
    if (mf.description !== undefined) s.description = mf.description;
    if (m.lastError !== undefined) s.lastError = m.lastError;
    if (m.lastStderr !== undefined) s.stderrTail = m.lastStderr;
    return s;
  }
}

const FOLLOW_QUEUE_LIMIT = 10_000;

async function* followLog(log: PluginLog, backlog: LogEntry[], signal?: AbortSignal): AsyncGenerator<LogEntry> {
  const queue: LogEntry[] = [...backlog];
  let wake: (() => void) | null = null;
  let dropped = 0;
  const stop = log.follow((e) => {
    // A reader slower than a flooding plugin loses the oldest entries, not the host's memory.
    if (queue.length >= FOLLOW_QUEUE_LIMIT) {
      queue.shift();
      dropped++;
    }
    queue.push(e);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (dropped > 0) {
        yield {
          time: Date.now(),
          source: 'host',
          level: 'warn',
          message: `${dropped} log entries skipped (reader too slow)`,
        };
        dropped = 0;
      }
      while (queue.length > 0) yield queue.shift() as LogEntry;
      if (signal?.aborted) return;
      await new Promise<void>((r) => {
        wake = r;
      });
      wake = null;
    }
  } finally {
    stop();
    signal?.removeEventListener('abort', onAbort);
  }
}
