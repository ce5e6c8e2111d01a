/**
 * Public shapes of a PluginProcess: its options, a call's options, progress, exit, stats, events.
 * @module
 */
import type { BulkheadError } from '@bulkhead/sdk/errors';
import type { WorkerCgroupOptions } from './cgroup-memory.js';
import type { LogEntry } from './log-buffer.js';
import type { WorkerCommandOptions } from './worker-command.js';
import type { PrelaunchedWorker } from './worker-spawn.js';

export interface PluginProcessOptions extends WorkerCommandOptions {
  /**
   * Extra environment for the worker, over what it inherits from the host (`undefined` removes a
   * variable). Always set, whatever `passEnv` says.
   */
  env?: Record<string, string | undefined>;
  /**
   * Host variables the worker inherits beyond the minimal set (process/worker-env.ts), as `NAME`
   * or `PREFIX*`; `['*']` inherits everything. Default: the minimal set only.
   */
  passEnv?: readonly string[];
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
  /**
   * A worker spawned early (`prelaunch()`), taken over by this start if it was spawned exactly as
   * this start would spawn one, else killed; a restart spawns its own.
   */
  prelaunched?: PrelaunchedWorker;
  /**
   * Each launch gets a memory cgroup of its own with this limit (process/cgroup-memory.ts),
   * joined before the worker runs; a kernel OOM kill fails its calls with ERR_WORKER_OOM.
   */
  memoryCgroup?: WorkerCgroupOptions;
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
