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
import { BulkheadError, errorFromWire, isWireError, toBulkheadError } from '@bulkhead/sdk/errors';
import {
  assertCompatible,
  Channel,
  type ChunkParams,
  DEFAULT_HANDOFF_BYTES,
  DEFAULT_MAX_FRAME_BYTES,
  type InitializeResult,
  type LogParams,
  type Message,
  Methods,
  Notifications,
  PROTOCOL_VERSION,
  type ProgressParams,
  type StatsResult,
} from '@bulkhead/sdk/protocol';
import { readProcStat } from '../util/proc-stat.js';
import { makeHandoffDir } from './handoff-dir.js';
import { killGroup, processStartTicks } from './kill-group.js';
import { type LogEntry, type LogLevel, Ring, splitLines } from './log-buffer.js';
import { PluginStream, type StreamDriver } from './plugin-stream.js';
import { cpuPercent, type ProcSample, procAvailable, sampleProc } from './proc-stats.js';
import type { WorkerCommandOptions } from './worker-command.js';
import { adoptPrelaunched, spawnWorker, workerSpawnSpec } from './worker-spawn.js';

export interface PluginProcessOptions extends WorkerCommandOptions {
  /** Extra environment for the worker, over the host's own (`undefined` removes a variable). */
  env?: Record<string, string | undefined>;
  /**
   * Config passed to the plugin's schema at start (defaults fill the rest). A function is called
   * once, just after the worker is spawned, and its result used: working the config out (the
   * manager fills in schema defaults, which may first load Ajv) then overlaps the worker's own
   * start. If it throws, the start fails with that error.
   */
  config?: unknown;
  /** How long `start()` waits for the handshake. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Aborting it during `start()` kills the worker; start rejects with ERR_CANCELLED. */
  signal?: AbortSignal;
  /** How long a cancelled call may take to stop before its worker is killed. Default 5 s. */
  cancelGraceMs?: number;
  /** `stop()`: wait this long for a graceful exit before SIGTERM, then as long again before SIGKILL. Default 5 s. */
  stopTimeoutMs?: number;
  /** Largest frame sent or accepted, both sides. Default 256 MiB. */
  maxFrameBytes?: number;
  /** Log entries kept in memory. Default 1000. */
  logBufferLines?: number;
  /** Longer stdout/stderr lines are cut. Default 16 KiB. */
  maxLogLineLength?: number;
  /** Chunks a stream may have in flight before the worker waits for the consumer. Default 256. */
  streamWindow?: number;
  /**
   * Binaries of at least this many bytes travel by file instead of through the socket, both ways,
   * with a worker that supports it (docs/protocol.md 3.1); `false` turns file handoff off. Default 128 MiB.
   */
  handoffBytes?: number | false;
}

export interface CallOptions {
  /** Abort to cancel the call: the plugin's `ctx.signal` fires; after `cancelGraceMs` the worker is killed. */
  signal?: AbortSignal;
  /** Milliseconds before the call is cancelled with ERR_TIMEOUT. */
  timeout?: number;
  onProgress?: (progress: Progress) => void;
  /** The call's own `ctx.log` entries (stdout/stderr lines cannot be told apart by call). */
  onLog?: (entry: LogEntry) => void;
  /** Overrides the process's `cancelGraceMs` for this call. */
  cancelGraceMs?: number;
}

export interface Progress {
  callId: number;
  /** 0..1, or undefined when the plugin cannot tell. */
  fraction?: number;
  message?: string;
}

export interface WorkerExit {
  pid: number;
  exitCode: number | null;
  signal: string | null;
  /** True when `stop()` or `kill()` ended it; false for a crash, a protocol error, or a kill after an ignored cancel. */
  expected: boolean;
  /** Why it ended, when Bulkhead ended it or it broke the protocol. */
  error?: BulkheadError;
  stderrTail: string[];
}

export interface ProcessStats {
  pid: number;
  alive: boolean;
  /** CPU since the previous `stats()` call (or since start), % of one core. */
  cpuPercent: number;
  rssBytes: number;
  uptimeMs: number;
  calls: number;
  errors: number;
  inFlight: number;
}

/** Typed events; see each member. */
export interface PluginProcessEvents {
  /** The worker process ended (crash, kill or stop). */
  exit: [WorkerExit];
  /** A line of the worker's stdout/stderr, or a `ctx.log` entry. */
  log: [LogEntry];
  /** Pushed progress of any call. */
  progress: [Progress];
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: BulkheadError): void;
  onProgress: ((p: Progress) => void) | undefined;
  onLog: ((e: LogEntry) => void) | undefined;
  cancelGraceMs: number | undefined;
  stream: PluginStream<unknown> | undefined;
  /** Set once a cancel was asked for: the error the call ends with. */
  cancelling: BulkheadError | undefined;
  timers: NodeJS.Timeout[];
  dispose: (() => void) | undefined;
}

const STDERR_TAIL = 20;
/** A worker whose channel closed gets this long to exit by itself before it is killed. */
const CHANNEL_CLOSE_GRACE_MS = 200;
/** After exit, how long to wait for the rest of stderr before failing pending calls. */
const STDERR_SETTLE_MS = 25;

/**
 * One plugin in one worker process. Never restarts on its own: after a crash or a forced cancel
 * every call fails with ERR_WORKER_EXITED until `restart()` (the manager decides when).
 */
export class PluginProcess<P extends AnyPlugin = Plugin> extends EventEmitter<PluginProcessEvents> {
  readonly #options: PluginProcessOptions;
  readonly #logs: Ring<LogEntry>;
  #stderr = new Ring<string>(STDERR_TAIL);
  #child: ChildProcess | null = null;
  #handoffDir: string | undefined;
  #channel: Channel | null = null;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #info: InitializeResult | null = null;
  #alive = false;
  #exit: WorkerExit | null = null;
  #exited: Promise<WorkerExit> = Promise.resolve(null as never);
  #fatal: BulkheadError | null = null;
  #stopping = false;
  #startedAt = 0;
  #calls = 0;
  #errors = 0;
  #lastSample: ProcSample | null = null;
  /** Start time of the worker, so a kill never hits a process that reused its pid. */
  #startTicks: number | undefined;
  #prelaunchedAt: number | undefined;
  /** The config the next launch starts with (updated by configure). */
  #config: unknown;
  /** Start, stop, kill and restart run one after another, never interleaved. */
  #lifecycle: Promise<unknown> = Promise.resolve();

  private constructor(options: PluginProcessOptions) {
    super();
    this.#options = options;
    this.#logs = new Ring(options.logBufferLines ?? 1000);
    this.#config = options.config;
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
    if (this.#info === null) throw new BulkheadError('ERR_WORKER_EXITED', 'worker has not started');
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
      this.#request(Methods.execute, { input }, options, resolve as (v: unknown) => void, reject);
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
        this.#request(
          Methods.stream,
          { input, credit },
          options,
          () => stream._end(null),
          (e) => stream._end(e),
          stream,
          (n) => {
            id = n;
          },
        );
        return id;
      },
      pull: (id, n) => this.#notify(Notifications.pull, { id, n }),
      cancel: (id, error) => this.#cancel(id, error),
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
      calls: this.#calls,
      errors: this.#errors,
      inFlight: this.#pending.size,
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
    const grace = this.#options.stopTimeoutMs ?? 5000;
    if (this.#channel && !this.#channel.closed && this.#info) {
      await this.#control(Methods.shutdown, {}, grace).catch(() => {});
    }
    if (await this.#exitedWithin(grace)) return;
    killGroup(child.pid, 'SIGTERM', this.#startTicks);
    if (await this.#exitedWithin(grace)) return;
    killGroup(child.pid, 'SIGKILL', this.#startTicks);
    await this.#exited;
  }

  /**
   * Kills the worker's process group at once (no shutdown, no cleanup): for a worker that stopped
   * answering. Open calls fail with ERR_WORKER_EXITED carrying `reason`. Resolves once it is gone.
   */
  kill(reason = 'killed by its host'): Promise<void> {
    // Not queued behind a slow stop: killing is how a stuck stop is cut short.
    return this.#killNow(reason);
  }

  async #killNow(reason: string): Promise<void> {
    if (this.#child === null || this.#exit !== null) return;
    this.#stopping = true;
    this.#kill(
      new BulkheadError('ERR_WORKER_EXITED', `worker was killed: ${reason}`, {
        exitCode: null,
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
    // A worker prelaunched from this very spec (see worker-spawn.ts) is taken over, not respawned.
    const early = adoptPrelaunched(spec);
    this.#prelaunchedAt = early?.spawnedAt;
    let child: ChildProcess;
    try {
      child = early?.child ?? spawnWorker(spec);
    } catch (e) {
      throw new BulkheadError('ERR_SPAWN', `cannot start worker ${spec.file}: ${(e as Error).message}`, undefined, {
        cause: e,
      });
    }
    this.#child = child;
    this.#startTicks = early ? early.startTicks : child.pid === undefined ? undefined : processStartTicks(child.pid);
    const exited = new Promise<WorkerExit>((resolve) => this.#watchExit(child, resolve));
    this.#exited = exited;
    const maxLine = o.maxLogLineLength ?? 16 * 1024;
    splitLines(child.stdout as Readable, maxLine, (line) => this.#log('stdout', 'info', line));
    splitLines(child.stderr as Readable, maxLine, (line) => {
      this.#stderr.push(line);
      this.#log('stderr', 'error', line);
    });
    this.#channel = new Channel(child.stdio[3] as unknown as import('node:net').Socket, maxFrame, {
      onMessage: (m) => this.#onMessage(m),
      onProtocolError: (e) => this.#kill(e),
      onClose: () => {
        // Normally the process exit follows at once; a worker that closed fd 3 and lives on
        // would leave every call hanging, so it is killed.
        setTimeout(() => {
          // A worker that already died (gone, or a zombie awaiting its reap) needs nothing: its
          // exit event, with the real code and signal, is on its way however loaded the host is.
          const state = child.pid === undefined ? null : readProcStat(child.pid)?.state;
          if (state === undefined || state === null || state === 'Z') return;
          if (this.#child === child && this.#exit === null) {
            this.#kill(
              new BulkheadError('ERR_WORKER_EXITED', 'worker closed its protocol channel', {
                exitCode: null,
                signal: null,
                stderrTail: this.#stderr.last(),
                reason: 'channel-closed',
              }),
            );
          }
        }, CHANNEL_CLOSE_GRACE_MS).unref();
      },
    });

    const timeoutMs = o.handshakeTimeoutMs ?? 10_000;
    const handoffBytes = o.handoffBytes ?? DEFAULT_HANDOFF_BYTES;
    const handoff = handoffBytes === false ? undefined : makeHandoffDir();
    this.#handoffDir = handoff?.dir;
    if (handoff !== undefined) {
      this.#channel.handoff = { receive: handoff.dir };
      child.once('exit', handoff.dispose);
      child.once('error', () => {
        if (child.pid === undefined) handoff.dispose();
      });
    }
    try {
      if (typeof this.#config === 'function') this.#config = (this.#config as () => unknown)();
      const info = (await this.#control(
        Methods.initialize,
        {
          protocolVersion: PROTOCOL_VERSION,
          config: this.#config,
          ...(handoff !== undefined ? { handoff: { dir: handoff.dir, minBytes: handoffBytes as number } } : {}),
        },
        timeoutMs,
      )) as InitializeResult;
      assertCompatible(PROTOCOL_VERSION, String(info?.protocolVersion));
      // Files go to the worker only if it said it reads them (a 1.0 worker does not).
      if (handoff !== undefined && info.capabilities?.handoff === true) {
        this.#channel.handoff = { receive: handoff.dir, send: { dir: handoff.dir, minBytes: handoffBytes as number } };
      }
      this.#info = info;
      this.#alive = true;
      this.#startedAt = Date.now();
    } catch (e) {
      let err = toBulkheadError(e);
      if (err.code === 'ERR_TIMEOUT') {
        err = new BulkheadError('ERR_HANDSHAKE_TIMEOUT', `worker did not answer the handshake within ${timeoutMs} ms`, {
          timeoutMs,
        });
      } else if (err.code === 'ERR_WORKER_EXITED') {
        err = new BulkheadError(
          'ERR_WORKER_EXITED',
          `worker exited during start-up: ${err.message}`,
          err.data as never,
        );
      }
      this.#stopping = true;
      this.#kill(err);
      await exited;
      throw err;
    }
  }

  #reset(): void {
    this.#pending = new Map();
    this.#info = null;
    this.#alive = false;
    this.#exit = null;
    this.#fatal = null;
    this.#stopping = false;
    this.#lastSample = null;
    this.#stderr = new Ring<string>(STDERR_TAIL);
  }

  #watchExit(child: ChildProcess, resolve: (exit: WorkerExit) => void): void {
    let stderrEnded = false;
    let exitArgs: [number | null, string | null] | null = null;
    let settled = false;
    const settle = () => {
      if (settled || exitArgs === null) return;
      settled = true;
      this.#finalize(child, exitArgs[0], exitArgs[1], resolve);
    };
    child.stderr?.once('end', () => {
      stderrEnded = true;
      settle();
    });
    child.once('error', (e) => {
      // spawn failure (ENOENT, EACCES): there will be no 'exit' with a pid to kill.
      this.#fatal ??= new BulkheadError('ERR_SPAWN', `cannot start worker: ${e.message}`, undefined, { cause: e });
      if (child.pid === undefined) {
        exitArgs = [null, null];
        settle();
      }
    });
    child.once('exit', (code, signal) => {
      exitArgs = [code, signal];
      // Anything the plugin left running in its group goes with it.
      killGroup(child.pid, 'SIGKILL', this.#startTicks);
      // stderr usually ends with the process; a grandchild holding it open must not delay us.
      if (stderrEnded) settle();
      else setTimeout(settle, STDERR_SETTLE_MS).unref();
    });
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
    const fallback = new BulkheadError(
      'ERR_WORKER_EXITED',
      stopped
        ? `worker was stopped (${how})`
        : `worker exited with ${how}${stderrTail.length ? `: ${stderrTail.at(-1)}` : ''}`,
      { exitCode, signal, stderrTail, ...(stopped ? { stopped: true } : {}) },
    );
    const error = this.#fatal ?? fallback;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const p of pending.values()) this.#settle(p, error);
    this.#channel?.close();
    const exit: WorkerExit = {
      pid: child.pid ?? -1,
      exitCode,
      signal,
      expected: stopped,
      ...(this.#fatal ? { error: this.#fatal } : {}),
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

  #exitedWithin(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void this.#exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Requests for the process itself (handshake, configure, ping, shutdown). */
  #control(method: string, params: unknown, timeout?: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#request(
        method,
        params,
        timeout === undefined ? {} : { timeout },
        resolve,
        reject,
        undefined,
        undefined,
        true,
      );
    });
  }

  #request(
    method: string,
    params: unknown,
    options: CallOptions,
    resolve: (value: unknown) => void,
    reject: (e: BulkheadError) => void,
    stream?: PluginStream<unknown>,
    onId?: (id: number) => void,
    control = false,
  ): void {
    const channel = this.#channel;
    if (channel === null || channel.closed || this.#exit !== null || (!control && (!this.#alive || this.#stopping))) {
      reject(this.#deadError());
      return;
    }
    const { signal, timeout, onProgress, onLog, cancelGraceMs } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      reject(new BulkheadError('ERR_INVALID_ARGUMENT', 'The "signal" option must be an AbortSignal'));
      return;
    }
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0 && timeout <= MAX_TIMER_MS)) {
      reject(
        new BulkheadError(
          'ERR_INVALID_ARGUMENT',
          `The "timeout" option must be a positive number of ms (got ${timeout})`,
        ),
      );
      return;
    }
    if (signal?.aborted) {
      reject(cancelledError(signal, false));
      return;
    }
    const id = this.#nextId++;
    try {
      channel.send({ id, method, params });
    } catch (e) {
      // Nothing was written: the worker never heard of this call.
      reject(toBulkheadError(e));
      return;
    }
    onId?.(id);
    if (!control) this.#calls++;
    const p: Pending = {
      resolve,
      reject,
      onProgress,
      onLog,
      cancelGraceMs,
      stream,
      cancelling: undefined,
      timers: [],
      dispose: undefined,
    };
    this.#pending.set(id, p);
    if (timeout !== undefined) {
      const t = setTimeout(() => {
        const forced = () =>
          new BulkheadError('ERR_TIMEOUT', `call timed out after ${timeout} ms`, { timeoutMs: timeout, forced: false });
        if (control) {
          // Control requests are not cancellable in the worker; just give up on them.
          this.#pending.delete(id);
          this.#settle(p, forced());
        } else this.#cancel(id, forced());
      }, timeout);
      p.timers.push(t);
    }
    if (signal !== undefined) {
      const onAbort = () => this.#cancel(id, cancelledError(signal, false));
      signal.addEventListener('abort', onAbort, { once: true });
      p.dispose = () => signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Cancel in two steps: ask the worker (`$/cancel` aborts the plugin's signal), and if it has not
   * answered after `cancelGraceMs`, kill the worker and end the call as forcibly cancelled.
   */
  #cancel(id: number, error: BulkheadError): void {
    const p = this.#pending.get(id);
    if (p === undefined || p.cancelling !== undefined) return;
    p.cancelling = error;
    this.#notify(Notifications.cancel, { id, reason: error.message });
    const grace = p.cancelGraceMs ?? this.#options.cancelGraceMs ?? 5000;
    const t = setTimeout(() => {
      if (this.#pending.get(id) !== p) return;
      this.#pending.delete(id);
      const forced = new BulkheadError(
        error.code,
        `${error.message}; the plugin ignored the cancel for ${grace} ms, so its worker was killed`,
        {
          ...(error.data as object),
          forced: true,
        } as never,
      );
      this.#settle(p, forced);
      this.#kill(
        new BulkheadError('ERR_WORKER_EXITED', `worker killed: call ${id} ignored its cancel for ${grace} ms`, {
          exitCode: null,
          signal: 'SIGKILL',
          stderrTail: this.#stderr.last(),
          reason: 'cancel-timeout',
        }),
      );
    }, grace);
    t.unref();
    p.timers.push(t);
  }

  #notify(method: string, params: unknown): void {
    const channel = this.#channel;
    if (channel === null || channel.closed) return;
    try {
      channel.send({ method, params });
    } catch {
      // notifications we build are always serializable
    }
  }

  #settle(p: Pending, error: BulkheadError | null, value?: unknown): void {
    for (const t of p.timers) clearTimeout(t);
    p.dispose?.();
    if (error !== null) {
      this.#errors++;
      p.reject(error);
    } else p.resolve(value);
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
      this.#onNotification(msg.method, msg.params);
      return;
    }
    const id = msg.id as number;
    const p = this.#pending.get(id);
    if (p === undefined) return; // late answer to a call we already gave up on
    this.#pending.delete(id);
    if (p.cancelling !== undefined) {
      // Whatever the worker answered, the caller asked to cancel: end it as cancelled.
      this.#settle(p, p.cancelling);
      return;
    }
    if (msg.error !== undefined) {
      if (!isWireError(msg.error)) throw protocolError(`response ${id} has a malformed "error"`);
      this.#settle(p, errorFromWire(msg.error));
    } else this.#settle(p, null, msg.result);
  }

  #onNotification(method: string, params: unknown): void {
    switch (method) {
      case Notifications.chunk: {
        const c = params as ChunkParams;
        if (!Array.isArray(c?.items)) throw protocolError('"$/chunk" without an "items" array');
        const stream = this.#pending.get(c.id)?.stream;
        if (stream && !stream._push(c.items)) throw protocolError(`stream ${c.id} sent more chunks than its credit`);
        return;
      }
      case Notifications.progress: {
        const pr = params as ProgressParams;
        const progress: Progress = { callId: pr.id };
        if (typeof pr.fraction === 'number') progress.fraction = pr.fraction;
        if (typeof pr.message === 'string') progress.message = pr.message;
        const onProgress = this.#pending.get(pr.id)?.onProgress;
        if (onProgress) guard(() => onProgress(progress));
        this.#safeEmit('progress', progress);
        return;
      }
      case Notifications.log: {
        const l = params as LogParams;
        const level: LogLevel = ['debug', 'info', 'warn', 'error'].includes(l?.level) ? l.level : 'info';
        const max = this.#options.maxLogLineLength ?? 16 * 1024;
        const text = String(l?.message);
        this.#log(
          'plugin',
          level,
          text.length > max ? `${text.slice(0, max)} …[truncated]` : text,
          l?.id,
          boundedData(l?.data, max),
        );
        return;
      }
      default:
        return; // unknown notifications are ignored (forward compatibility)
    }
  }

  #log(source: LogEntry['source'], level: LogLevel, message: string, callId?: number, data?: unknown): void {
    const entry: LogEntry = { time: Date.now(), source, level, message };
    if (callId !== undefined) entry.callId = callId;
    if (data !== undefined) entry.data = data;
    this.#logs.push(entry);
    if (callId !== undefined) {
      const onLog = this.#pending.get(callId)?.onLog;
      if (onLog) guard(() => onLog(entry));
    }
    if (this.listenerCount('log') > 0) this.#safeEmit('log', entry);
  }

  /** Emits to user listeners; one that throws is reported as a warning, not as our failure. */
  #safeEmit<K extends keyof PluginProcessEvents>(event: K, ...args: PluginProcessEvents[K]): void {
    guard(() => (this.emit as (e: K, ...a: PluginProcessEvents[K]) => boolean)(event, ...args));
  }

  #deadError(): BulkheadError {
    const exit = this.#exit;
    if (exit === null) {
      return new BulkheadError('ERR_WORKER_EXITED', this.#stopping ? 'worker is stopping' : 'worker is not running', {
        exitCode: null,
        signal: null,
        stderrTail: this.#stderr.last(),
        ...(this.#stopping ? { stopped: true } : {}),
      });
    }
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.exitCode}`;
    return new BulkheadError('ERR_WORKER_EXITED', `worker is not running (exited with ${how}); call restart()`, {
      exitCode: exit.exitCode,
      signal: exit.signal,
      stderrTail: exit.stderrTail,
      ...(exit.expected ? { stopped: true } : {}),
    });
  }
}

/** Log data kept only while small: a plugin must not fill the host's memory through ctx.log. */
function boundedData(data: unknown, max: number): unknown {
  if (data === undefined) return undefined;
  if (typeof data === 'object' && data !== null && (ArrayBuffer.isView(data) || data instanceof ArrayBuffer)) {
    return `[${(data as ArrayBufferView).byteLength} bytes]`;
  }
  let text: string;
  try {
    text = JSON.stringify(data) ?? 'undefined';
  } catch {
    return '[data with binary parts omitted]';
  }
  return text.length > max ? `[data of ${text.length} characters omitted]` : data;
}

/** Runs a user callback; an exception in it is the user's bug, reported as a process warning. */
function guard(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    process.emitWarning(
      `a Bulkhead listener threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      'BulkheadListenerWarning',
    );
  }
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function validateOptions(o: PluginProcessOptions): void {
  const ms = ['handshakeTimeoutMs', 'cancelGraceMs', 'stopTimeoutMs'] as const;
  for (const k of ms) {
    const v = o[k];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v <= MAX_TIMER_MS)) {
      throw new BulkheadError(
        'ERR_INVALID_ARGUMENT',
        `The "${k}" option must be a number of ms from 0 to ${MAX_TIMER_MS} (got ${v})`,
      );
    }
  }
  const ints = ['streamWindow', 'logBufferLines', 'maxLogLineLength', 'maxFrameBytes'] as const;
  for (const k of ints) {
    const v = o[k];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', `The "${k}" option must be a positive integer (got ${v})`);
    }
  }
}

function cancelledError(signal: AbortSignal, forced: boolean): BulkheadError {
  const reason = signal.reason;
  const text = reason instanceof Error ? reason.message : reason === undefined ? undefined : String(reason);
  return new BulkheadError(
    'ERR_CANCELLED',
    text ? `call cancelled: ${text}` : 'call cancelled',
    {
      forced,
      ...(text ? { detail: text } : {}),
    },
    { cause: reason },
  );
}

function protocolError(message: string): BulkheadError {
  return new BulkheadError('ERR_PROTOCOL', `protocol error: ${message}`);
}
