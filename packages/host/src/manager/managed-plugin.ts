/**
 * One plugin as the manager keeps it: its worker (or the start under way), its state and the
 * transitions between states, calls in flight (busy while one runs, idle waiters woken at zero),
 * crash bookkeeping and counters.
 * @module
 */
import type { DiscoveredPlugin } from '../manifest/index.js';
import type { PluginProcess } from '../process/plugin-process.js';
import type { Availability, CircuitBreaker } from './circuit-breaker.js';
import type { EvictionCandidate } from './eviction.js';
import type { PluginLog } from './plugin-log.js';
import type { GroupCpu } from './telemetry.js';
import type { PluginState, PluginSummary } from './types.js';

export class ManagedPlugin {
  /** Replaced by a later discovery (a manifest edited in place). */
  plugin: DiscoveredPlugin;
  readonly crashes: CircuitBreaker;
  proc: PluginProcess | null = null;
  loading: Promise<PluginProcess> | null = null;
  #state: PluginState;
  inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  lastUsed: number | null = null;
  loadedAt: number | null = null;
  lastError?: string;
  /** The last lines of stderr of the worker that crashed last. */
  lastStderr?: string[];
  log: PluginLog | null = null;
  calls = 0;
  errors = 0;
  lastDurationMs: number | null = null;
  cpu: GroupCpu = { last: null };
  pingTimer: NodeJS.Timeout | null = null;
  restartTimer: NodeJS.Timeout | null = null;
  /** Config updates, one after another: each merges over the one before. */
  configChain: Promise<unknown> = Promise.resolve();
  /** Cuts a restart backoff short (close()). */
  wakeBackoff: (() => void) | null = null;
  /** Called when a call ends and none is in flight (recycling, worker-limits.ts). */
  afterCall: (() => void) | null = null;
  readonly #onState: (m: ManagedPlugin, previous: PluginState) => void;
  /** The manager's clock (`now` option): `lastUsed` is read on it, for idle eviction. */
  readonly now: () => number;

  constructor(
    plugin: DiscoveredPlugin,
    crashes: CircuitBreaker,
    state: PluginState,
    onState: (m: ManagedPlugin, previous: PluginState) => void,
    now: () => number = Date.now,
  ) {
    this.plugin = plugin;
    this.crashes = crashes;
    this.#state = state;
    this.#onState = onState;
    this.now = now;
  }

  get name(): string {
    return this.plugin.manifest.name;
  }

  get state(): PluginState {
    return this.#state;
  }

  /** Whether its circuit lets work through at `now` (PluginManager.availability). */
  availability(now: number): Availability {
    if (!this.crashes.tripped) return { state: 'closed', retryAt: null };
    return {
      state: this.crashes.state(now),
      retryAt: this.crashes.retryAt,
      crashes: this.crashes.count,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** Moves to `state`, telling the manager when it changed. */
  setState(state: PluginState): void {
    const previous = this.#state;
    if (previous === state) return;
    this.#state = state;
    this.#onState(this, previous);
  }

  /** A call begins: `ready` becomes `busy`. */
  begin(): void {
    this.inFlight++;
    this.calls++;
    if (this.inFlight === 1 && this.#state === 'ready') this.setState('busy');
  }

  /** A call ended after `ms`: the last one makes a `busy` plugin `ready` and wakes whoever waits for idle. */
  end(ms: number, failed: boolean): void {
    this.inFlight--;
    this.lastUsed = this.now();
    this.lastDurationMs = ms;
    if (failed) this.errors++;
    if (this.inFlight === 0) {
      if (this.#state === 'busy') this.setState('ready');
      for (const wake of this.#idleWaiters.splice(0)) wake();
      this.afterCall?.();
    }
  }

  /** Resolves once no call is in flight. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** As an eviction candidate (loaded only): declared needs, or measured RSS when larger. */
  candidate(): EvictionCandidate | null {
    if (this.proc === null) return null;
    const r = this.plugin.manifest.resources ?? {};
    return {
      name: this.name,
      idle: this.inFlight === 0 && !this.loading,
      lastUsed: this.lastUsed ?? this.loadedAt ?? 0,
      memoryMB: Math.max(r.memoryMB ?? 0, this.cpu.rssBytes ? this.cpu.rssBytes / 2 ** 20 : 0),
      gpuMemoryMB: r.gpuMemoryMB ?? 0,
    };
  }

  summary(enabled: boolean, config: Record<string, unknown>): PluginSummary {
    const mf = this.plugin.manifest;
    const s: PluginSummary = {
      name: mf.name,
      version: mf.version,
      category: mf.category ?? 'general',
      state: this.#state,
      enabled,
      pid: this.proc?.pid ?? null,
      lastUsed: this.lastUsed,
      loadedAt: this.loadedAt,
      config,
      resources: mf.resources ?? {},
      inputSchema: (mf.inputSchema as Record<string, unknown> | undefined) ?? null,
      capabilities: this.proc?.info.capabilities ?? mf.capabilities ?? {},
      crashes: this.crashes.count,
      manifestPath: this.plugin.manifestPath,
    };
    if (mf.description !== undefined) s.description = mf.description;
    if (this.lastError !== undefined) s.lastError = this.lastError;
    if (this.lastStderr !== undefined) s.stderrTail = this.lastStderr;
    return s;
  }
}
