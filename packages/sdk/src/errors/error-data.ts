/**
 * What each code carries as `data`, typed: {@link ErrorDataMap} and the shapes it is made of.
 *
 * One interface over every code (rather than one per area beside the area's table) so that the
 * public API names one type, and so that a code added to the registry does not compile until its
 * data is declared here ({@link ErrorData} indexes this map by every code).
 * @module
 */
import type { BulkheadErrorCode } from './registry.js';

/** Why the job store is unavailable: a short stable token (docs/errors.md, ERR_STORE_UNAVAILABLE). */
export type StoreUnavailableReason =
  | 'corrupt'
  | 'not-a-job-database'
  | 'locked'
  | 'in-use'
  | 'closed'
  | 'newer-schema'
  | 'read-only'
  | 'io'
  | 'cannot-open'
  | 'value-file-missing'
  | 'foreign-owner'
  | 'not-a-socket'
  | 'connect-failed';

/** Why the Redis server of a scaled-out queue cannot be used (docs/errors.md, ERR_REDIS_UNAVAILABLE). */
export type RedisUnavailableReason = 'invalid-url' | 'auth' | 'timeout' | 'connect' | 'version' | 'reconnecting';

/** Why a worker is gone, when Bulkhead ended it (absent when it exited by itself). */
export type WorkerExitReason = 'killed' | 'channel-closed' | 'cancel-timeout';

/** The stack and name of something a plugin (or a library) threw, carried as data. */
export interface ThrownDetails {
  name?: string;
  stack?: string;
  /** The thrown error's own `code`, if any (e.g. `ENOENT`), as a string. */
  pluginCode?: string;
  /** Its other own fields (`status`, `details`…) that JSON can carry, within 8 KiB. */
  fields?: Record<string, unknown>;
}

/**
 * The `data` of every code (`undefined`: the code carries none), grouped as the areas' tables are.
 */
export interface ErrorDataMap {
  // ─── worker-codes.ts ───
  ERR_PLUGIN_FAILED: ThrownDetails;
  ERR_PLUGIN_MODULE_NOT_FOUND: { modulePath: string };
  ERR_PLUGIN_LOAD: { modulePath?: string; stack?: string } & ThrownDetails;
  ERR_PLUGIN_INVALID: { modulePath?: string } | undefined;
  ERR_CONFIG_INVALID: { issues: ConfigIssue[] };
  ERR_NOT_SUPPORTED: undefined;
  /** `detail`: the abort's reason, as text. */
  ERR_CANCELLED: { forced: boolean; detail?: string };
  ERR_TIMEOUT: { timeoutMs: number; forced: boolean };
  ERR_SERIALIZE: { path: string };
  ERR_FRAME_TOO_LARGE: { bytes: number; maxFrameBytes: number };
  ERR_PROTOCOL: undefined;
  ERR_PROTOCOL_VERSION: { host: string; worker: string };
  ERR_HANDSHAKE_TIMEOUT: { timeoutMs: number };
  ERR_WORKER_EXITED: {
    exitCode: number | null;
    signal: string | null;
    stderrTail: string[];
    stopped?: boolean;
    reason?: WorkerExitReason;
    /** Who killed it and why, as text (with `reason: 'killed'`). */
    detail?: string;
    /** An uncaught error's message and stack, read from the worker's stderr. */
    uncaught?: { message: string; stack: string };
  };
  /** `limitMB`: its heap cap (null: Node's default) or limits.memoryMB; `peakMB`: the largest heap, cgroup peak or RSS seen (null: unknown). */
  ERR_WORKER_OOM: {
    limitMB: number | null;
    peakMB: number | null;
    exitCode: number | null;
    signal: string | null;
    stderrTail: string[];
  };
  /** `quietMs`: how long it was silent and idle; `stopped`: it was stopped (SIGSTOP), not just quiet. */
  ERR_WORKER_UNRESPONSIVE: { pid: number | null; quietMs: number; stopped: boolean };
  ERR_SPAWN: undefined;
  ERR_NODE_UNSUPPORTED: { node: string; needed: string };
  ERR_METHOD_NOT_FOUND: undefined;
  /** `issues`: every failing field of a request (HTTP); `field`: the one bad field of a value. */
  ERR_INVALID_ARGUMENT: { issues?: ConfigIssue[]; field?: string } | undefined;
  /** What was thrown, or (a helper command that failed, e.g. nvidia-smi) its file, arguments and stderr. */
  ERR_INTERNAL:
    | (ThrownDetails & { file?: string; args?: string[]; exitCode?: number | null; stderr?: string })
    | undefined;
  // ─── manager-codes.ts ───
  ERR_MANIFEST_INVALID: { file: string; field?: string };
  /** `manifest`/`manifestError`: a manifest of that name that discovery refused, and why. */
  ERR_UNKNOWN_PLUGIN: {
    name: string;
    known?: string[];
    manifest?: string;
    manifestError?: string;
    /** `no-host`: on a Redis queue, no live host has a plugin of that name. */
    reason?: 'no-host';
  };
  /** `name`: the manifest's; `reported`: what the worker's handshake said; `manifest`: its file. */
  ERR_PLUGIN_NAME_MISMATCH: { name: string; reported: string; manifest: string };
  ERR_PLUGIN_DISABLED: { name: string };
  /** `retryAt`: when the circuit half-opens and lets one trial through (epoch ms). */
  ERR_PLUGIN_CIRCUIT_OPEN: {
    name: string;
    crashes: number;
    retryAt?: number;
    lastError?: string;
    stderrTail?: string[];
  };
  ERR_INSUFFICIENT_RESOURCES: { resource: string; needed: number; free: number; unit: string };
  ERR_MANAGER_CLOSED: undefined;
  // ─── queue-codes.ts ───
  ERR_QUEUE_CLOSED: undefined;
  ERR_JOB_NOT_FOUND: { id: string };
  ERR_JOB_ID_AMBIGUOUS: { prefix: string; candidates: string[] };
  ERR_INPUT_INVALID: { issues: ConfigIssue[] };
  ERR_JOB_INTERRUPTED: { attempts: number };
  ERR_STORE_UNAVAILABLE: { file?: string; reason: StoreUnavailableReason; errno?: string };
  ERR_REDIS_UNAVAILABLE: { url: string; reason: RedisUnavailableReason; errno?: string };
  ERR_HOST_GONE: { socketPath: string; detail?: string };
  // ─── cli-codes.ts ───
  ERR_INSTALL_FAILED: InstallFailedData | undefined;
  ERR_DISK_FULL: { path: string };
  /** The holder: its pid and when it took the lock (epoch ms). */
  ERR_LOCKED: { file: string; pid: number; since: number };
  ERR_PLUGINS_FILE_INVALID: { file: string; issues: (ConfigIssue & { line: number; column: number; file: string })[] };
  ERR_HOST_CONFIG_INVALID: { file: string; issues: (ConfigIssue & { line?: number; column?: number })[] };
  ERR_USAGE: undefined;
  ERR_CONFIG_KEY_NOT_FOUND: { name: string; key: string };
  ERR_HOST_SETTING_NOT_FOUND: { key: string };
  ERR_UNINSTALL_REFUSED: { name: string; reason: 'running' | 'not-installed-by-bulkhead'; manifest?: string };
  ERR_FILE_ACCESS: { file?: string; errno?: string };
  ERR_SCAFFOLD_FAILED: undefined;
  // ─── server-codes.ts ───
  ERR_UNAUTHORIZED: undefined;
  ERR_ROUTE_NOT_FOUND: { method: string; url: string };
  ERR_INVALID_JSON: undefined;
  ERR_BODY_TOO_LARGE: { limitBytes: number };
  ERR_INSECURE_BIND: { host: string };
  ERR_SLOW_CLIENT: { bufferedBytes: number; limitBytes: number };
}

/** `data` of ERR_INSTALL_FAILED: where the whole output is, and what the tool said. */
export interface InstallFailedData {
  /** The install's log (npm's or pip's whole output), or its text. */
  log?: string;
  exitCode?: number | null;
  /** For a Python version that is not on the machine: the one wanted and those found. */
  wanted?: string | null;
  found?: { version: string; path: string }[];
  /** Two entries of one plugins.yaml whose plugins share a name: the name and both lines. */
  name?: string;
  lines?: number[];
}

/** One failing field of a config: `path` is the dotted location, `message` the reason. */
export interface ConfigIssue {
  path: string;
  message: string;
}

export type ErrorData<C extends BulkheadErrorCode> = ErrorDataMap[C];
