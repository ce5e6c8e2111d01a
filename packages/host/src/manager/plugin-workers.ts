/**
 * The workers of a manager's plugins: starting one (after its backoff, making room under the
 * budget, adopting the prelaunched worker), wiring its logs and exit (crash, restart by policy),
 * stopping it, replacing an unresponsive one. The PluginManager decides when; this does it.
 * @module
 */
import type { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { BulkheadError, isBulkheadError } from '@bulkhead/sdk/errors';
import type { LogEntry } from '../process/log-buffer.js';
import { PluginProcess } from '../process/plugin-process.js';
import type { PrelaunchedWorker } from '../process/worker-spawn.js';
import { crashMessage, exitVerdict, type RestartPolicy, unavailable } from './crash-policy.js';
import { budgetVictims, type EvictionCandidate } from './eviction.js';
import { type Hang, unresponsiveError } from './hang-detector.js';
import { startLiveness, stopLiveness } from './liveness.js';
import type { ManagedPlugin } from './managed-plugin.js';
import { PluginLog } from './plugin-log.js';
import type { StateStore } from './state-store.js';
import type { PluginManagerEvents, PluginManagerOptions } from './types.js';
import { enforcedLimits, enforceLimits, memoryCgroupFor } from './worker-limits.js';
import { workerOptionsFor } from './worker-options.js';
import type { WorkerRecords } from './worker-records.js';

export interface PluginWorkersOptions {
  options: PluginManagerOptions;
  policy: RestartPolicy;
  state: StateStore;
  home: string;
  plugins: Map<string, ManagedPlugin>;
  /** The manager: its events are emitted here. */
  events: EventEmitter<PluginManagerEvents>;
  /** The effective config a start gives its worker. */
  config(name: string): Record<string, unknown>;
  closed(): boolean;
  /** Each worker and its host, so the next manager can end what a dead host left (worker-records.ts). */
  records: WorkerRecords;
  /** The clock the crash policy (window, backoff) and idle eviction (loadedAt) read. */
  now(): number;
  /** Throws ERR_MANAGER_CLOSED once closed. */
  open(): void;
}

export class PluginWorkers {
  readonly #o: PluginWorkersOptions;
  #prelaunched: PrelaunchedWorker | undefined;

  constructor(options: PluginWorkersOptions) {
    this.#o = options;
    this.#prelaunched = options.options.prelaunched;
  }

  /** Kills the prelaunched worker if no start took it. */
  discardPrelaunched(): void {
    this.#prelaunched?.discard();
    this.#prelaunched = undefined;
  }

  enabled(m: ManagedPlugin): boolean {
    return this.#o.state.get(m.plugin.manifest.name).enabled;
  }

  /** The running worker of a plugin, starting it when needed. */
  async acquire(m: ManagedPlugin): Promise<PluginProcess> {
    this.#o.open();
    const name = m.plugin.manifest.name;
    if (!this.enabled(m))
      throw new BulkheadError('ERR_PLUGIN_DISABLED', `plugin "${name}" is disabled; enable it first`, { name });
    if (m.state === 'failed') {
      // Open: nothing starts it until the cool-down ends (or a reset); half-open: one trial.
      if (m.crashes.state(this.#o.now()) === 'open') throw unavailable(name, m.crashes, this.#o.policy, m);
      if (!m.loading) this.note(m, 'info', 'circuit half-open: trying the plugin again');
    }
    // An unresponsive worker is replaced on next use, unless the policy says to leave it alone.
    const leaveAlone = (this.#o.options.liveness?.onUnresponsive ?? 'restart') === 'report';
    if (m.proc?.alive && (m.state !== 'unresponsive' || leaveAlone)) return m.proc;
    if (m.loading) return m.loading;
    m.loading = this.#start(m).finally(() => {
      m.loading = null;
    });
    return m.loading;
  }

  async #start(m: ManagedPlugin): Promise<PluginProcess> {
    const name = m.plugin.manifest.name;
    if (m.restartTimer) {
      clearTimeout(m.restartTimer);
      m.restartTimer = null;
    }
    const wait = m.crashes.delay(this.#o.now());
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
    this.#o.open(); // closed during the backoff: start nothing
    if (m.proc) await this.stop(m, 'reload'); // an unresponsive one being replaced
    await this.#makeRoom(m);
    m.setState('loading');
    const t0 = performance.now();
    const { plugin } = m;
    let proc: PluginProcess;
    try {
      // The prelaunched worker is offered once, to the first start.
      const prelaunched = this.#prelaunched;
      this.#prelaunched = undefined;
      proc = await PluginProcess.start({
        ...workerOptionsFor(plugin, this.#o.options.worker),
        ...memoryCgroupFor(name, enforcedLimits(plugin.manifest), this.#o.options.limits),
        ...(prelaunched ? { prelaunched } : {}),
        // Worked out once the worker is spawned: filling in the schema's defaults may load and run
        // Ajv, tens of ms that the worker's start now hides.
        config: () => this.#o.config(name),
      });
      if (proc.info.name !== name) await refuseMismatch(proc, plugin.manifestPath, name);
    } catch (e) {
      // A plugin that cannot start counts against its circuit breaker like a crash.
      const message = e instanceof Error ? e.message : String(e);
      m.lastError = message;
      const open = m.crashes.record(this.#o.now());
      this.note(m, 'error', `failed to start: ${message}`);
      m.setState(open ? 'failed' : 'discovered');
      throw e;
    }
    if (this.#o.closed()) {
      await proc.stop();
      throw new BulkheadError('ERR_MANAGER_CLOSED', 'the plugin manager was closed');
    }
    this.#wire(m, proc);
    this.#o.records.record(proc.pid);
    m.proc = proc;
    m.loadedAt = this.#o.now();
    m.cpu = { last: null };
    m.setState(m.inFlight > 0 ? 'busy' : 'ready');
    startLiveness(m, proc, this.#o.options.liveness, (reason, hang) => void this.#unresponsive(m, proc, reason, hang));
    const { limits, runCommand } = this.#o.options;
    enforceLimits(
      m,
      proc,
      enforcedLimits(plugin.manifest),
      { ...limits, ...(runCommand ? { runCommand } : {}) },
      {
        overLimit: (error) => void this.#overLimit(m, proc, error),
        recycle: (why) => void this.#recycle(m, proc, why),
      },
    );
    // A prelaunched worker's start began at its spawn, before this call.
    const ms = performance.now() - Math.min(t0, proc.prelaunchedAt ?? t0);
    this.note(m, 'info', `loaded (pid ${proc.pid}, ${ms.toFixed(0)} ms${proc.prelaunchedAt ? ', prelaunched' : ''})`);
    this.#o.events.emit('loaded', { name, pid: proc.pid ?? -1, ms });
    return proc;
  }

  #wire(m: ManagedPlugin, proc: PluginProcess): void {
    const name = m.plugin.manifest.name;
    const log = this.logFor(m);
    // What the worker logged while it started (initialize loading a model, say) came before these
    // listeners: keep it too.
    for (const entry of proc.logs()) log.append(entry);
    proc.on('log', (entry) => {
      log.append(entry);
      if (this.#o.events.listenerCount('log') > 0) this.#o.events.emit('log', { name, ...entry });
    });
    proc.on('progress', (p) => {
      if (this.#o.events.listenerCount('progress') > 0) this.#o.events.emit('progress', { name, ...p });
    });
    proc.on('exit', (exit) => {
      this.#o.records.forget(exit.pid);
      if (m.proc !== proc) return; // an old worker, already replaced
      m.proc = null;
      stopLiveness(m);
      if (exit.expected) return; // stopWorker sets the state
      if (exitVerdict(exit) === 'cancel-timeout') {
        // Killed because a call ignored its cancel: the plugin misbehaved, but it did not crash.
        // It restarts on next use and does not count against the circuit breaker.
        this.note(m, 'warn', 'worker killed: a call ignored its cancel');
        m.setState(this.enabled(m) ? 'discovered' : 'disabled');
        return;
      }
      const open = m.crashes.record(this.#o.now());
      m.lastError = crashMessage(exit);
      m.lastStderr = exit.stderrTail;
      m.setState(open ? 'failed' : 'crashed');
      this.#o.events.emit('crashed', {
        name,
        exitCode: exit.exitCode,
        signal: exit.signal,
        stderrTail: exit.stderrTail,
        crashes: m.crashes.count,
        failed: open,
      });
      if (!open && this.#o.policy.mode === 'eager' && !this.#o.closed()) this.#scheduleRestart(m, 'crash');
    });
  }

  #scheduleRestart(m: ManagedPlugin, reason: 'crash' | 'unresponsive'): void {
    const delay = m.crashes.delay(this.#o.now());
    m.restartTimer = setTimeout(() => {
      m.restartTimer = null;
      if (this.#o.closed() || m.proc !== null || m.loading) return;
      this.acquire(m).then(
        (proc) => this.#o.events.emit('restarted', { name: m.plugin.manifest.name, pid: proc.pid ?? -1, reason }),
        () => {}, // recorded by #start; the next crash or call reports it
      );
    }, delay);
    m.restartTimer.unref();
  }

  async stop(m: ManagedPlugin, reason: PluginManagerEvents['unloaded'][0]['reason']): Promise<void> {
    if (m.restartTimer) {
      clearTimeout(m.restartTimer);
      m.restartTimer = null;
    }
    if (m.loading) await m.loading.catch(() => {});
    const proc = m.proc;
    if (proc === null) return;
    m.proc = null;
    stopLiveness(m);
    await proc.stop();
    // A call may have started a new worker while this one stopped: then its state stands.
    if (m.proc === null && !m.loading) {
      m.loadedAt = null;
      if (m.state !== 'failed') m.setState(this.enabled(m) ? 'discovered' : 'disabled');
    }
    this.note(m, 'info', `unloaded (${reason})`);
    this.#o.events.emit('unloaded', { name: m.plugin.manifest.name, reason });
  }

  callFailed(m: ManagedPlugin, proc: PluginProcess, e: unknown): void {
    if (isBulkheadError(e, 'ERR_TIMEOUT')) {
      this.#o.events.emit('unresponsive', {
        name: m.plugin.manifest.name,
        pid: proc.pid ?? null,
        reason: 'a call exceeded its timeout',
      });
    }
  }

  async #unresponsive(m: ManagedPlugin, proc: PluginProcess, reason: string, hang?: Hang): Promise<void> {
    const name = m.plugin.manifest.name;
    m.setState('unresponsive');
    this.note(m, 'warn', `unresponsive: ${reason}`);
    this.#o.events.emit('unresponsive', { name, pid: proc.pid ?? null, reason });
    if ((this.#o.options.liveness?.onUnresponsive ?? 'restart') !== 'restart') return;
    m.proc = null;
    stopLiveness(m);
    // A hung busy worker's calls fail with what happened to them, to be retried or failed by policy.
    await proc.kill(`unresponsive: ${reason}`, hang && unresponsiveError(name, proc, reason, hang));
    m.lastError = `unresponsive: ${reason}`;
    if (m.crashes.record(this.#o.now())) {
      // Hangs count like crashes: one that keeps hanging ends up failed, not restarted forever.
      m.setState('failed');
      return;
    }
    if (this.#o.closed()) return;
    const fresh = await this.acquire(m).catch(() => null);
    if (fresh) this.#o.events.emit('restarted', { name, pid: fresh.pid ?? -1, reason: 'unresponsive' });
  }

  /** Past its memory limit: killed (its calls fail with `error`), counted as a crash, restarted by policy. */
  async #overLimit(m: ManagedPlugin, proc: PluginProcess, error: BulkheadError<'ERR_WORKER_OOM'>): Promise<void> {
    if (m.proc !== proc) return;
    m.proc = null;
    stopLiveness(m);
    this.note(m, 'error', error.message);
    await proc.kill('over its memory limit', error);
    m.lastError = error.message;
    const open = m.crashes.record(this.#o.now());
    m.setState(open ? 'failed' : 'crashed');
    const name = m.plugin.manifest.name;
    this.#o.events.emit('crashed', {
      name,
      exitCode: null,
      signal: 'SIGKILL',
      stderrTail: [],
      crashes: m.crashes.count,
      failed: open,
    });
    if (!open && this.#o.policy.mode === 'eager' && !this.#o.closed()) this.#scheduleRestart(m, 'crash');
  }

  /** An idle worker due for recycling (worker-limits.ts): stopped and replaced by a fresh one. */
  async #recycle(m: ManagedPlugin, proc: PluginProcess, why: string): Promise<void> {
    if (m.proc !== proc || m.inFlight > 0) return;
    const name = m.plugin.manifest.name;
    m.proc = null;
    stopLiveness(m);
    this.note(m, 'info', `recycling the worker: ${why}`);
    await proc.stop();
    this.#o.events.emit('unloaded', { name, reason: 'recycle' });
    if (m.proc === null && !m.loading) m.setState(this.enabled(m) ? 'discovered' : 'disabled');
    if (this.#o.closed() || !this.enabled(m)) return;
    const fresh = await this.acquire(m).catch(() => null);
    if (fresh) this.#o.events.emit('restarted', { name, pid: fresh.pid ?? -1, reason: 'recycle' });
  }

  /** Evicts idle plugins, LRU first, until the plugin's declared needs fit the budget. */
  async #makeRoom(m: ManagedPlugin): Promise<void> {
    const budget = this.#o.options.budget;
    if (!budget) return;
    const others = this.candidates().filter((c) => c.name !== m.name);
    const victims = budgetVictims(m.name, m.plugin.manifest.resources ?? {}, others, budget);
    await Promise.all(victims.map((v) => this.stop(this.#o.plugins.get(v.name) as ManagedPlugin, 'budget')));
  }

  /** Loaded plugins as eviction candidates: declared needs, or measured RSS when larger. */
  candidates(): EvictionCandidate[] {
    return [...this.#o.plugins.values()].flatMap((m) => m.candidate() ?? []);
  }

  logFor(m: ManagedPlugin): PluginLog {
    m.log ??= new PluginLog(join(this.#o.home, 'logs'), m.plugin.manifest.name, this.#o.options.log);
    return m.log;
  }

  logFile(name: string): string {
    return join(this.#o.home, 'logs', `${name.replaceAll('/', '__')}.log`);
  }

  /** A host-side note about a plugin, in its log. */
  note(m: ManagedPlugin, level: LogEntry['level'], message: string): void {
    const entry: LogEntry = { time: Date.now(), source: 'host', level, message };
    this.logFor(m).append(entry);
    if (this.#o.events.listenerCount('log') > 0) this.#o.events.emit('log', { name: m.plugin.manifest.name, ...entry });
  }
}

/** A worker whose handshake names another plugin than its manifest does: stopped, and refused. */
async function refuseMismatch(proc: PluginProcess, manifest: string, name: string): Promise<never> {
  const reported = proc.info.name;
  await proc.stop();
  throw new BulkheadError(
    'ERR_PLUGIN_NAME_MISMATCH',
    `plugin "${name}": its manifest ${manifest} says "${name}" but the plugin calls itself "${reported}"`,
    { name, reported, manifest },
  );
}
