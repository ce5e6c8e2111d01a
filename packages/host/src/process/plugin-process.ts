/**
 * PluginProcess: one plugin in one worker process, and the typed handle the host calls it through.
 *
 * @example
 * import { PluginProcess } from 'bulkhead';
 * import type hello from './plugins/hello.js';
 *
 * await using proc = await PluginProcess.start<typeof hello>({ plugin: './plugins/hello.js' });
 * console.log(await proc.execute({ name: 'Ada' })); // Hello, Ada
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type {
  AnyPlugin,
  ChunkOf,
  ConfigInputOf,
  ConfigOf,
  InputOf,
  OutputOf,
  Plugin,
  StreamInputOf,
} from '@bulkhead/sdk';
import { BulkheadError } from '@bulkhead/sdk/errors';
import {
  type Channel,
  DEFAULT_HANDOFF_BYTES,
  DEFAULT_MAX_FRAME_BYTES,
  type InitializeResult,
  Methods,
  type StatsResult,
} from '@bulkhead/sdk/protocol';
import { CallTable } from './call-table.js';
import { cgroupOomError, type WorkerCgroup } from './cgroup-memory.js';
import { handshake } from './handshake.js';
import { killGroup } from './kill-group.js';
import type { LogEntry } from './log-buffer.js';
import { guard, type NotificationTarget, onWorkerMessage } from './notifications.js';
import { PluginStream } from './plugin-stream.js';
import { CpuSampler } from './proc-stats.js';
import { validateOptions } from './process-options.js';
import type {
  CallOptions,
  PluginProcessEvents,
  PluginProcessOptions,
  ProcessStats,
  WorkerExit,
} from './process-types.js';
import { channelClosed, handshakeError, killedError, notRunning, spawnFailed, workerExited } from './worker-errors.js';
import { escalateStop, exitOutcome, watchExit } from './worker-exit.js';
import { attachHandoff, openChannel, spawnOrAdopt } from './worker-launch.js';
import { WorkerOutput } from './worker-output.js';
import { type PrelaunchedWorker, workerSpawnSpec } from './worker-spawn.js';

export type {
  CallOptions,
  PluginProcessEvents,
  PluginProcessOptions,
  ProcessStats,
  Progress,
  WorkerExit,
} from './process-types.js';

/**
 * One plugin in one worker process. Never restarts on its own: after a crash or a forced cancel
 * every call fails with ERR_WORKER_EXITED until `restart()` (the manager decides when).
 */
export class PluginProcess<P extends AnyPlugin = Plugin> extends EventEmitter<PluginProcessEvents> {
  readonly #options: PluginProcessOptions;
  /** Its log, and the current worker's stderr tail and exit notes. */
  readonly #output: WorkerOutput;
  #child: ChildProcess | null = null;
  /** This launch's memory cgroup (option `memoryCgroup`), removed once it exited. */
  #cgroup: WorkerCgroup | undefined;
  #handoffDir: string | undefined;
  #channel: Channel | null = null;
  readonly #calls: CallTable;
  readonly #notifications: NotificationTarget;
  #info: InitializeResult | null = null;
  #alive = false;
  #exit: WorkerExit | null = null;
  #exited: Promise<WorkerExit> = Promise.resolve(null as never);
  #fatal: BulkheadError | null = null;
  #stopping = false;
  #startedAt = 0;
  readonly #cpu = new CpuSampler();
  /** Start time of the worker, so a kill never hits a process that reused its pid. */
  #startTicks: number | undefined;
  #prelaunchedAt: number | undefined;
  /** The prelaunched worker offered to the first launch (option `prelaunched`). */
  #offered: PrelaunchedWorker | undefined;
  /** The config the next launch starts with (updated by configure). */
  #config: unknown;
  /** Start, stop, kill and restart run one after another, never interleaved. */
  #lifecycle: Promise<unknown> = Promise.resolve();

  private constructor(options: PluginProcessOptions) {
    super();
    this.#options = options;
    const maxLogLineLength = options.maxLogLineLength ?? 16 * 1024;
    this.#output = new WorkerOutput({
      lines: options.logBufferLines ?? 1000,
      maxLineLength: maxLogLineLength,
      onEntry: (entry) => this.#onLog(entry),
    });
    this.#config = options.config;
    this.#offered = options.prelaunched;
    this.#calls = new CallTable({
      channel: () => this.#channel,
      refuse: (control) => {
        const channel = this.#channel;
        const dead = channel === null || channel.closed || this.#exit !== null;
        return dead || (!control && (!this.#alive || this.#stopping))
          ? notRunning(this.#exit, this.#stopping, this.#output.stderrTail())
          : null;
      },
      kill: (error) => this.#kill(error),
      stderrTail: () => this.#output.stderrTail(),
      cancelGraceMs: options.cancelGraceMs ?? 5000,
    });
    this.#notifications = {
      calls: this.#calls,
      progress: (progress) => this.#safeEmit('progress', progress),
      log: (source, level, message, callId, data) => this.#output.log(source, level, message, callId, data),
      maxLogLineLength,
    };
  }

  /** Spawns the worker and completes the handshake. Rejects with a coded BulkheadError. */
  static async start<P extends AnyPlugin = Plugin>(options: PluginProcessOptions): Promise<PluginProcess<P>> {
    validateOptions(options);
    const { signal } = options;
    const cancelled = () => new BulkheadError('ERR_CANCELLED', 'the worker start was cancelled', { forced: true });
    if (signal?.aborted) throw cancelled();
    const proc = new PluginProcess<P>(options);
    const onAbort = () => void proc.kill('its start was cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await proc.#launch();
    } catch (e) {
      throw signal?.aborted ? cancelled() : e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return proc;
  }

  /** Name, version, config schema and capabilities the worker announced. */
  get info(): InitializeResult {
    if (this.#info === null) throw workerExited('worker has not started', { stderrTail: [] });
    return this.#info;
  }

  /**
   * When this worker was spawned (performance.now()) if it was prelaunched and taken over at start
   * rather than spawned by it; else undefined.
   * @internal
   */
  get prelaunchedAt(): number | undefined {
    return this.#prelaunchedAt;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The current worker's private file-handoff directory (docs/protocol.md 3.1), if handoff is on. */
  get handoffDir(): string | undefined {
    return this.#handoffDir;
  }

  /** True between a completed handshake and the worker's exit. */
  get alive(): boolean {
    return this.#alive;
  }

  /** How the last worker ended, or null while it runs. */
  get exitInfo(): WorkerExit | null {
    return this.#exit;
  }

  /** Calls one plugin `execute`. */
  execute(input: InputOf<P>, options: CallOptions = {}): Promise<OutputOf<P>> {
    return this.#calls.call(Methods.execute, { input }, options) as Promise<OutputOf<P>>;
  }

  /**
   * Calls the plugin's `stream`; iterate the result with `for await`. Leaving the loop early
   * cancels the stream in the worker.
   */
  stream(input: StreamInputOf<P>, options: Omit<CallOptions, 'timeout'> = {}): PluginStream<ChunkOf<P>> {
    const driver = this.#calls.streamDriver(Methods.stream, { input }, options);
    return new PluginStream<ChunkOf<P>>(driver, this.#options.streamWindow ?? 256);
  }

  /** Applies a config live through the plugin's `configure` (ERR_NOT_SUPPORTED if it has none). */
  async configure(config: ConfigInputOf<P>, options: { timeout?: number } = {}): Promise<ConfigOf<P>> {
    const result = (await this.#calls.control(Methods.configure, { config }, options.timeout ?? 30_000)) as {
      config: ConfigOf<P>;
    };
    if (this.#info) this.#info = { ...this.#info, config: result.config };
    // A restart (by us or by the manager) starts from the config in force, not the first one.
    this.#config = result.config;
    return result.config;
  }

  /** Round trip to the worker's event loop; rejects if it does not answer within `timeoutMs`. */
  async ping(timeoutMs = 5000): Promise<number> {
    const t0 = performance.now();
    await this.#calls.control(Methods.ping, {}, timeoutMs);
    return performance.now() - t0;
  }

  /** CPU, memory and call counts of the worker. Works even while the plugin blocks its event loop. */
  async stats(): Promise<ProcessStats> {
    const pid = this.#child?.pid ?? -1;
    const base = {
      pid,
      alive: this.#alive,
      uptimeMs: this.#alive ? Date.now() - this.#startedAt : 0,
      calls: this.#calls.calls,
      errors: this.#calls.errors,
      inFlight: this.#calls.size,
    };
    if (!this.#alive) return { ...base, cpuPercent: 0, rssBytes: 0 };
    const measured = await this.#cpu.sample(pid, base.uptimeMs);
    if (measured) return { ...base, ...measured };
    const s = (await this.#calls.control(Methods.stats, {}, 5000)) as StatsResult;
    return { ...base, cpuPercent: 0, rssBytes: s.rssBytes };
  }

  /** The newest log entries (all kept ones by default), oldest first. */
  logs(limit?: number): LogEntry[] {
    return this.#output.logs(limit);
  }

  /**
   * Stops the worker: a `shutdown` request (the plugin's cleanup runs), then SIGTERM, then SIGKILL,
   * each after `stopTimeoutMs`. Idempotent; resolves when the process and its group are gone.
   */
  stop(): Promise<void> {
    return this.#serialized(() => this.#stop());
  }

  async #stop(): Promise<void> {
    const child = this.#child;
    if (child === null || this.#exit !== null) return;
    if (this.#stopping) {
      await this.#exited;
      return;
    }
    this.#stopping = true;
    const graceMs = this.#options.stopTimeoutMs ?? 5000;
    const polite = this.#channel !== null && !this.#channel.closed && this.#info !== null;
    await escalateStop({
      pid: child.pid,
      startTicks: this.#startTicks,
      graceMs,
      exited: this.#exited,
      shutdown: polite ? () => this.#calls.control(Methods.shutdown, {}, graceMs) : null,
    });
  }

  /**
   * Kills the worker's process group at once (no shutdown, no cleanup): for a worker that stopped
   * answering. Open calls fail with `error`, else ERR_WORKER_EXITED carrying `reason`. Resolves once it is gone.
   */
  async kill(reason = 'killed by its host', error?: BulkheadError): Promise<void> {
    // Not queued behind a slow stop: killing is how a stuck stop is cut short.
    if (this.#child === null || this.#exit !== null) return;
    this.#stopping = true;
    this.#kill(error ?? killedError(reason, this.#output.stderrTail()));
    await this.#exited;
  }

  /** Stops the worker if it runs, then starts a fresh one with the same options. */
  restart(): Promise<void> {
    return this.#serialized(async () => {
      await this.#stop();
      await this.#launch();
    });
  }

  #serialized<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#lifecycle.then(op, op);
    this.#lifecycle = next.catch(() => {});
    return next;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  // ─── internals ────────────────────────────────────────────────────────────────────────────────

  async #launch(): Promise<void> {
    const o = this.#options;
    const maxFrame = o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    const spec = workerSpawnSpec(o);
    this.#reset();
    // Offered to the first launch only: a restart spawns its own.
    const offered = this.#offered;
    this.#offered = undefined;
    const { child, prelaunchedAt, startTicks, cgroup } = spawnOrAdopt(spec, offered, o.memoryCgroup);
    this.#cgroup = cgroup;
    this.#prelaunchedAt = prelaunchedAt;
    this.#child = child;
    this.#startTicks = startTicks;
    const exited = new Promise<WorkerExit>((resolve) =>
      watchExit(
        child,
        () => this.#startTicks,
        (e) => void (this.#fatal ??= spawnFailed(e)),
        (code, signal) => this.#finalize(child.pid ?? -1, code, signal, resolve),
      ),
    );
    this.#exited = exited;
    this.#output.read(child);
    this.#channel = openChannel(child, maxFrame, {
      onMessage: (m) => onWorkerMessage(m, this.#notifications, this.#channel),
      kill: (e) => this.#kill(e),
      current: () => this.#child === child && this.#exit === null,
      lingered: () => channelClosed(this.#output.stderrTail()),
    });

    const timeoutMs = o.handshakeTimeoutMs ?? 10_000;
    const handoff = attachHandoff(child, this.#channel, o.handoffBytes ?? DEFAULT_HANDOFF_BYTES);
    this.#handoffDir = handoff?.dir;
    try {
      if (typeof this.#config === 'function') this.#config = (this.#config as () => unknown)();
      this.#info = await handshake(this.#calls, this.#channel, { config: this.#config, handoff, timeoutMs });
      this.#alive = true;
      this.#startedAt = Date.now();
    } catch (e) {
      const err = handshakeError(e, timeoutMs);
      this.#stopping = true;
      this.#kill(err);
      await exited;
      throw err;
    }
  }

  #reset(): void {
    this.#calls.reset();
    this.#info = null;
    this.#alive = false;
    this.#exit = null;
    this.#fatal = null;
    this.#stopping = false;
    this.#cpu.reset();
    this.#output.reset();
  }

  #finalize(pid: number, exitCode: number | null, signal: string | null, resolve: (exit: WorkerExit) => void): void {
    this.#alive = false;
    const stderrTail = this.#output.stderrTail();
    // A kernel OOM kill in its memory cgroup reads as a plain SIGKILL: the cgroup says which.
    const oom = this.#stopping ? null : cgroupOomError(this.#cgroup, { exitCode, signal, stderrTail });
    this.#cgroup?.remove();
    const { exit, callError, how } = exitOutcome({
      pid,
      exitCode,
      signal,
      stopped: this.#stopping,
      stderrTail,
      fatal: this.#fatal,
      oom,
      notes: this.#output.exitNotes,
      execArgv: this.#options.execArgv,
    });
    this.#calls.failAll(callError);
    this.#channel?.close();
    this.#exit = exit;
    // Settle first: a throwing listener below must not leave stop() waiting forever.
    resolve(exit);
    this.#output.log('host', exit.expected ? 'info' : 'error', `worker ${exit.pid} exited with ${how}`);
    this.#safeEmit('exit', exit);
  }

  /** Kills the worker's group at once; pending calls fail with `error`. */
  #kill(error: BulkheadError): void {
    this.#fatal ??= error;
    this.#alive = false;
    killGroup(this.#child?.pid, 'SIGKILL', this.#startTicks);
  }

  /** A kept log entry goes to its call's onLog, then to 'log' listeners. */
  #onLog(entry: LogEntry): void {
    if (entry.callId !== undefined) {
      const onLog = this.#calls.get(entry.callId)?.onLog;
      if (onLog) guard(() => onLog(entry));
    }
    if (this.listenerCount('log') > 0) this.#safeEmit('log', entry);
  }

  /** Emits to user listeners; one that throws is reported as a warning, not as our failure. */
  #safeEmit<K extends keyof PluginProcessEvents>(event: K, ...args: PluginProcessEvents[K]): void {
    guard(() => (this.emit as (e: K, ...a: PluginProcessEvents[K]) => boolean)(event, ...args));
  }
}
