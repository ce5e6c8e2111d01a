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
import type { Readable } from 'node:stream';
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
  assertCompatible,
  Channel,
  DEFAULT_HANDOFF_BYTES,
  DEFAULT_MAX_FRAME_BYTES,
  type InitializeResult,
  type Message,
  Methods,
  Notifications,
  PROTOCOL_VERSION,
  type StatsResult,
} from '@bulkhead/sdk/protocol';
import { CallTable } from './call-table.js';
import { cgroupOomError, createWorkerCgroup, type WorkerCgroup } from './cgroup-memory.js';
import { ExitNotes, heapLimitOf } from './exit-summary.js';
import { killGroup } from './kill-group.js';
import { type LogEntry, type LogLevel, Ring, splitLines } from './log-buffer.js';
import { guard, type NotificationTarget, onNotification } from './notifications.js';
import { PluginStream, type StreamDriver } from './plugin-stream.js';
import { cpuPercent, type ProcSample, procAvailable, sampleProc } from './proc-stats.js';
import { validateOptions } from './process-options.js';
import type {
  CallOptions,
  PluginProcessEvents,
  PluginProcessOptions,
  ProcessStats,
  WorkerExit,
} from './process-types.js';
import { handshakeError, notRunning, workerExited } from './worker-errors.js';
import { escalateStop, killIfLingering, watchExit } from './worker-exit.js';
import { attachHandoff, spawnOrAdopt } from './worker-launch.js';
import { type PrelaunchedWorker, workerSpawnSpec } from './worker-spawn.js';

export type {
  CallOptions,
  PluginProcessEvents,
  PluginProcessOptions,
  ProcessStats,
  Progress,
  WorkerExit,
} from './process-types.js';

const STDERR_TAIL = 20;

/**
 * One plugin in one worker process. Never restarts on its own: after a crash or a forced cancel
 * every call fails with ERR_WORKER_EXITED until `restart()` (the manager decides when).
 */
export class PluginProcess<P extends AnyPlugin = Plugin> extends EventEmitter<PluginProcessEvents> {
  readonly #options: PluginProcessOptions;
  readonly #logs: Ring<LogEntry>;
  #stderr = new Ring<string>(STDERR_TAIL);
  /** What its stderr says about how it died (an OOM, an uncaught error). */
  #exitNotes = new ExitNotes();
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
  #lastSample: ProcSample | null = null;
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
    this.#logs = new Ring(options.logBufferLines ?? 1000);
    this.#config = options.config;
    this.#offered = options.prelaunched;
    this.#calls = new CallTable({
      channel: () => this.#channel,
      refuse: (control) => {
        const channel = this.#channel;
        const dead = channel === null || channel.closed || this.#exit !== null;
        return dead || (!control && (!this.#alive || this.#stopping))
          ? notRunning(this.#exit, this.#stopping, this.#stderr.last())
          : null;
      },
      kill: (error) => this.#kill(error),
      stderrTail: () => this.#stderr.last(),
      cancelGraceMs: options.cancelGraceMs ?? 5000,
    });
    this.#notifications = {
      calls: this.#calls,
      progress: (progress) => this.#safeEmit('progress', progress),
      log: (source, level, message, callId, data) => this.#log(source, level, message, callId, data),
      maxLogLineLength: options.maxLogLineLength ?? 16 * 1024,
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
    return new Promise((resolve, reject) => {
      this.#calls.request({ method: Methods.execute, params: { input }, call: options, resolve, reject });
    });
  }

  /**
   * Calls the plugin's `stream`; iterate the result with `for await`. Leaving the loop early
   * cancels the stream in the worker.
   */
  stream(input: StreamInputOf<P>, options: Omit<CallOptions, 'timeout'> = {}): PluginStream<ChunkOf<P>> {
    const driver: StreamDriver = {
      start: (stream, credit) => {
        let id = -1;
        this.#calls.request({
          method: Methods.stream,
          params: { input, credit },
          call: options,
          resolve: () => stream._end(null),
          reject: (e) => stream._end(e),
          stream,
          onId: (n) => {
            id = n;
          },
        });
        return id;
      },
      pull: (id, n) => this.#calls.notify(Notifications.pull, { id, n }),
      cancel: (id, error) => this.#calls.cancel(id, error),
    };
    return new PluginStream<ChunkOf<P>>(driver, this.#options.streamWindow ?? 256);
  }

  /** Applies a config live through the plugin's `configure` (ERR_NOT_SUPPORTED if it has none). */
  async configure(config: ConfigInputOf<P>, options: { timeout?: number } = {}): Promise<ConfigOf<P>> {
    const result = (await this.#control(Methods.configure, { config }, options.timeout ?? 30_000)) as {
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
    await this.#control(Methods.ping, {}, timeoutMs);
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
    if (procAvailable) {
      const sample = await sampleProc(pid);
      if (sample) {
        const prev = this.#lastSample ?? { cpuMs: 0, rssBytes: 0, at: sample.at - base.uptimeMs };
        this.#lastSample = sample;
        return { ...base, cpuPercent: cpuPercent(prev, sample), rssBytes: sample.rssBytes };
      }
    }
    const s = (await this.#control(Methods.stats, {}, 5000)) as StatsResult;
    return { ...base, cpuPercent: 0, rssBytes: s.rssBytes };
  }

  /** The newest log entries (all kept ones by default), oldest first. */
  logs(limit?: number): LogEntry[] {
    return this.#logs.last(limit);
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
      shutdown: polite ? () => this.#control(Methods.shutdown, {}, graceMs) : null,
    });
  }

  /**
   * Kills the worker's process group at once (no shutdown, no cleanup): for a worker that stopped
   * answering. Open calls fail with `error`, else ERR_WORKER_EXITED carrying `reason`. Resolves once it is gone.
   */
  kill(reason = 'killed by its host', error?: BulkheadError): Promise<void> {
    // Not queued behind a slow stop: killing is how a stuck stop is cut short.
    return this.#killNow(reason, error);
  }

  async #killNow(reason: string, error?: BulkheadError): Promise<void> {
    if (this.#child === null || this.#exit !== null) return;
    this.#stopping = true;
    this.#kill(
      error ??
        workerExited(`worker was killed: ${reason}`, {
          signal: 'SIGKILL',
          stderrTail: this.#stderr.last(),
          stopped: true,
          reason: 'killed',
          detail: reason,
        }),
    );
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
    const cgroup = o.memoryCgroup && createWorkerCgroup(o.memoryCgroup);
    this.#cgroup = cgroup;
    const { child, prelaunchedAt, startTicks } = spawnOrAdopt(spec, offered, cgroup);
    this.#prelaunchedAt = prelaunchedAt;
    this.#child = child;
    this.#startTicks = startTicks;
    const exited = new Promise<WorkerExit>((resolve) =>
      watchExit(
        child,
        () => this.#startTicks,
        (e) => {
          this.#fatal ??= new BulkheadError('ERR_SPAWN', `cannot start worker: ${e.message}`, undefined, { cause: e });
        },
        (code, signal) => this.#finalize(child, code, signal, resolve),
      ),
    );
    this.#exited = exited;
    const maxLine = o.maxLogLineLength ?? 16 * 1024;
    splitLines(child.stdout as Readable, maxLine, (line) => this.#log('stdout', 'info', line));
    splitLines(child.stderr as Readable, maxLine, (line) => {
      this.#stderr.push(line);
      this.#exitNotes.see(line);
      this.#log('stderr', 'error', line);
    });
    this.#channel = new Channel(child.stdio[3] as unknown as import('node:net').Socket, maxFrame, {
      onMessage: (m) => this.#onMessage(m),
      onProtocolError: (e) => this.#kill(e),
      onClose: () =>
        killIfLingering(
          child,
          () => this.#child === child && this.#exit === null,
          () =>
            this.#kill(
              workerExited('worker closed its protocol channel', {
                stderrTail: this.#stderr.last(),
                reason: 'channel-closed',
              }),
            ),
        ),
    });

    const timeoutMs = o.handshakeTimeoutMs ?? 10_000;
    const handoff = attachHandoff(child, this.#channel, o.handoffBytes ?? DEFAULT_HANDOFF_BYTES);
    this.#handoffDir = handoff?.dir;
    try {
      if (typeof this.#config === 'function') this.#config = (this.#config as () => unknown)();
      const info = (await this.#control(
        Methods.initialize,
        {
          protocolVersion: PROTOCOL_VERSION,
          config: this.#config,
          ...(handoff !== undefined ? { handoff } : {}),
        },
        timeoutMs,
      )) as InitializeResult;
      assertCompatible(PROTOCOL_VERSION, String(info?.protocolVersion));
      // Files go to the worker only if it said it reads them (a 1.0 worker does not).
      if (handoff !== undefined && info.capabilities?.handoff === true) {
        this.#channel.handoff = { receive: handoff.dir, send: handoff };
      }
      this.#info = info;
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
    this.#lastSample = null;
    this.#stderr = new Ring<string>(STDERR_TAIL);
    this.#exitNotes = new ExitNotes();
  }

  #finalize(
    child: ChildProcess,
    exitCode: number | null,
    signal: string | null,
    resolve: (exit: WorkerExit) => void,
  ): void {
    this.#alive = false;
    const stderrTail = this.#stderr.last();
    const stopped = this.#stopping;
    const how = signal ? `signal ${signal}` : `code ${exitCode}`;
    const fallback = workerExited(
      stopped
        ? `worker was stopped (${how})`
        : `worker exited with ${how}${stderrTail.length ? `: ${stderrTail.at(-1)}` : ''}`,
      { exitCode, signal, stderrTail, stopped },
    );
    let told = stopped
      ? null
      : this.#exitNotes.error({ exitCode, signal, stderrTail, heapLimitMB: heapLimitOf(this.#options.execArgv) });
    const oom = stopped ? null : cgroupOomError(this.#cgroup, { exitCode, signal, stderrTail });
    this.#cgroup?.remove();
    if (oom) told = oom;
    this.#calls.failAll(this.#fatal ?? told ?? fallback);
    this.#channel?.close();
    const exit: WorkerExit = {
      pid: child.pid ?? -1,
      exitCode,
      signal,
      expected: stopped,
      ...(this.#fatal || told ? { error: (this.#fatal ?? told) as BulkheadError } : {}),
      stderrTail,
    };
    this.#exit = exit;
    // Settle first: a throwing listener below must not leave stop() waiting forever.
    resolve(exit);
    this.#log('host', stopped ? 'info' : 'error', `worker ${exit.pid} exited with ${how}`);
    this.#safeEmit('exit', exit);
  }

  /** Kills the worker's group at once; pending calls fail with `error`. */
  #kill(error: BulkheadError): void {
    this.#fatal ??= error;
    this.#alive = false;
    killGroup(this.#child?.pid, 'SIGKILL', this.#startTicks);
  }

  /** Requests for the process itself (handshake, configure, ping, shutdown). */
  #control(method: string, params: unknown, timeout?: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#calls.request({
        method,
        params,
        call: timeout === undefined ? {} : { timeout },
        resolve,
        reject,
        control: true,
      });
    });
  }

  #onMessage(m: Message): void {
    const msg = m as { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: unknown };
    if (typeof msg.method === 'string') {
      if (typeof msg.id === 'number') {
        // Worker → host requests are reserved for a later protocol minor.
        this.#channel?.send({
          id: msg.id,
          error: { code: 'ERR_METHOD_NOT_FOUND', message: `host does not serve "${msg.method}"` },
        });
        return;
      }
      onNotification(msg.method, msg.params, this.#notifications);
      return;
    }
    this.#calls.answer(msg.id as number, msg);
  }

  #log(source: LogEntry['source'], level: LogLevel, message: string, callId?: number, data?: unknown): void {
    const entry: LogEntry = { time: Date.now(), source, level, message };
    if (callId !== undefined) entry.callId = callId;
    if (data !== undefined) entry.data = data;
    this.#logs.push(entry);
    if (callId !== undefined) {
      const onLog = this.#calls.get(callId)?.onLog;
      if (onLog) guard(() => onLog(entry));
    }
    if (this.listenerCount('log') > 0) this.#safeEmit('log', entry);
  }

  /** Emits to user listeners; one that throws is reported as a warning, not as our failure. */
  #safeEmit<K extends keyof PluginProcessEvents>(event: K, ...args: PluginProcessEvents[K]): void {
    guard(() => (this.emit as (e: K, ...a: PluginProcessEvents[K]) => boolean)(event, ...args));
  }
}
