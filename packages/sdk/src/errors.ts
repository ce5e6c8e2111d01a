/**
 * The one registry of Bulkhead error codes, shared by the worker and the host so that a failure
 * means the same thing on both sides of the wire.
 *
 * Every code is documented in docs/errors.md; a test keeps the two in step.
 * @module
 */

/**
 * The CLI's exit codes (docs/cli.md). Scripts branch on these, so they never change meaning.
 * Each error code below names the one it exits with.
 */
export const CLI_EXIT = {
  /** It worked. */
  OK: 0,
  /** It failed (an install, a check, an error from Bulkhead). */
  FAILURE: 1,
  /** The command line was wrong: an unknown command or option, a missing argument, bad JSON. */
  USAGE: 2,
  /** The job ran and failed. */
  JOB_FAILED: 3,
  /** The job was cancelled (by `jobs cancel`, or before it ran). */
  JOB_CANCELLED: 4,
  /** No plugin of that name is installed, or no job of that id exists. */
  NOT_FOUND: 5,
  /** Stopped by Ctrl-C (SIGINT); a job it was running was cancelled. */
  INTERRUPTED: 130,
} as const;

export type CliExitCode = (typeof CLI_EXIT)[keyof typeof CLI_EXIT];

/** What a code means for whoever meets it: the queue, the CLI. */
export interface ErrorBehaviour {
  /** A job that failed with it is run again while it has attempts left (nothing else retries). */
  readonly retryable: boolean;
  /** The exit code of the `bulkhead` command that ends with it. */
  readonly exit: CliExitCode;
  /**
   * What the CLI tells a person to do next; `{field}` is filled from the error's `data`
   * (`{name}` from `data.name`), or left as the field's name in capitals when absent.
   */
  readonly hint?: string;
}

const { FAILURE, USAGE, NOT_FOUND } = CLI_EXIT;
// The two common behaviours: a failure a retry may fix, and one it cannot (both exit 1).
const retried = { retryable: true, exit: FAILURE } as const;
const final = { retryable: false, exit: FAILURE } as const;

/**
 * The one registry: every code and its behaviour. Match on codes, never on messages.
 *
 * To add a code (other issues do): add its entry here (grouped by who raises it), its `data` type
 * to {@link ErrorDataMap} (`undefined` when it has none), a section and a table row in
 * docs/errors.md (a test compares them), and its HTTP status in the host's server/http-status.ts
 * (a `Record` over every code, so the build asks for it). Never reuse or rename a published code.
 */
export const ERRORS = {
  // ─── the plugin and its worker ───
  /** A plugin's execute/stream/initialize/configure threw. */
  ERR_PLUGIN_FAILED: retried,
  /** The plugin's module file does not exist (a path, not a name: see ERR_UNKNOWN_PLUGIN). */
  ERR_PLUGIN_MODULE_NOT_FOUND: retried,
  /** The plugin module threw while being imported. */
  ERR_PLUGIN_LOAD: retried,
  /** The module loaded but exports no plugin made by definePlugin, or the definition is malformed. */
  ERR_PLUGIN_INVALID: retried,
  /** A plugin's config failed the plugin's own schema. */
  ERR_CONFIG_INVALID: final,
  /** The plugin does not implement what was asked (execute, stream or configure). */
  ERR_NOT_SUPPORTED: final,
  /** The call was cancelled (AbortSignal, stream abandoned, or forced after a grace period). */
  ERR_CANCELLED: final,
  /** The call exceeded its timeout. */
  ERR_TIMEOUT: retried,
  // ─── the wire ───
  /** A value could not be encoded for the wire (function, symbol, cycle, BigInt, Map, Set…). */
  ERR_SERIALIZE: final,
  /** An outgoing frame exceeds the maximum frame size; nothing was sent. */
  ERR_FRAME_TOO_LARGE: retried,
  /** The peer sent bytes that break the protocol; the worker is killed. */
  ERR_PROTOCOL: retried,
  /** The peer speaks an incompatible major protocol version. */
  ERR_PROTOCOL_VERSION: retried,
  /** The worker did not answer the handshake in time. */
  ERR_HANDSHAKE_TIMEOUT: retried,
  /** The worker process exited (crashed, was killed, or was stopped) while calls were pending. */
  ERR_WORKER_EXITED: retried,
  /** The worker ran out of memory (its JavaScript heap limit, a Python MemoryError). */
  ERR_WORKER_OOM: { ...retried, hint: "raise the plugin's memoryMB, or give it smaller inputs" },
  /** A busy worker stopped answering and using CPU (or was stopped) for the liveness window: killed. */
  ERR_WORKER_UNRESPONSIVE: retried,
  /** The worker process could not be spawned. */
  ERR_SPAWN: retried,
  /** This Node.js is too old for Bulkhead (it needs 22.13 or later; 24 LTS recommended). */
  ERR_NODE_UNSUPPORTED: retried,
  /** A protocol method the receiver does not know. */
  ERR_METHOD_NOT_FOUND: retried,
  // ─── any API ───
  /** An argument given to a Bulkhead API is invalid (wrong type, out of range). */
  ERR_INVALID_ARGUMENT: retried,
  /** Anything thrown that was not a BulkheadError, normalised at a boundary. */
  ERR_INTERNAL: { ...retried, hint: 'run again with --verbose for details' },
  // ─── the manager ───
  /** A plugin manifest is not JSON, breaks the manifest schema, or points at a missing entry. */
  ERR_MANIFEST_INVALID: retried,
  /** No plugin of that name was discovered (a name, not a path: see ERR_PLUGIN_MODULE_NOT_FOUND). */
  ERR_UNKNOWN_PLUGIN: { retryable: false, exit: NOT_FOUND, hint: 'see what is installed with `bulkhead list`' },
  /** The worker's handshake reports a plugin name other than its manifest's `name`. */
  ERR_PLUGIN_NAME_MISMATCH: {
    ...final,
    hint: 'make the manifest\'s "name" and the plugin\'s own name (definePlugin) the same',
  },
  /** The plugin was disabled by its user; enable it first. */
  ERR_PLUGIN_DISABLED: { ...final, hint: 'turn it on with `bulkhead enable {name}`' },
  /** The plugin crashed too often and its circuit breaker is open (until a cool-down ends, or a reset). */
  ERR_PLUGIN_CIRCUIT_OPEN: {
    ...retried,
    hint: 'see why with `bulkhead logs {name}`; close it with `bulkhead plugins reset {name}`',
  },
  /** Not enough RAM, GPU memory, GPUs or CPUs for the work, even after evicting idle plugins. */
  ERR_INSUFFICIENT_RESOURCES: { ...final, hint: "free resources, or lower the plugin's declared needs" },
  /** The plugin manager was closed; it takes no new work. */
  ERR_MANAGER_CLOSED: retried,
  // ─── the job queue ───
  /** The job queue was stopped; it takes no new work. */
  ERR_QUEUE_CLOSED: retried,
  /** No job with that id. */
  ERR_JOB_NOT_FOUND: { retryable: false, exit: NOT_FOUND, hint: 'see recent jobs with `bulkhead jobs`' },
  /** A job id prefix that starts the ids of several jobs. */
  ERR_JOB_ID_AMBIGUOUS: { retryable: false, exit: USAGE, hint: 'give more of the id' },
  /** A job's input breaks the plugin's declared input schema. */
  ERR_INPUT_INVALID: final,
  /** The job was running when its host died, and no attempts were left to retry it. */
  ERR_JOB_INTERRUPTED: retried,
  /** The job store cannot be used: a corrupt or locked database, an unreachable server. */
  ERR_STORE_UNAVAILABLE: { ...retried, hint: 'run `bulkhead doctor`' },
  /** The Redis server of a scaled-out queue cannot be reached (at start, or while it reconnects). */
  ERR_REDIS_UNAVAILABLE: { ...retried, hint: 'run `bulkhead doctor`' },
  /** The Bulkhead process that owned the job database (reached through its control socket) went away. */
  ERR_HOST_GONE: retried,
  // ─── installing, and the home's files ───
  /** Installing a plugin into its environment failed (npm, the pinned Node, or its first start). */
  ERR_INSTALL_FAILED: retried,
  /** The disk is full: what could not be written, and where. Nothing half-written is left. */
  ERR_DISK_FULL: { ...retried, hint: 'free some space, or set BULKHEAD_HOME to a directory on another disk' },
  /** A lock (the plugin state's) is held by another live process for longer than the wait allows. */
  ERR_LOCKED: { ...retried, hint: 'another process (pid {pid}) holds it: wait for it, or end it' },
  /** A plugins.yaml cannot be read or breaks its schema (the file `bulkhead install` takes). */
  ERR_PLUGINS_FILE_INVALID: { retryable: false, exit: USAGE, hint: 'see docs/cli.md, "plugins.yaml"' },
  /** The home's config.yaml (or a variable or flag over it) holds a bad setting. */
  ERR_HOST_CONFIG_INVALID: {
    retryable: false,
    exit: USAGE,
    hint: 'fix it (docs/cli.md, "Host settings", lists every setting and its variable)',
  },
  // ─── the command line (bulkhead) ───
  /** The command line was wrong: an unknown command or option, a missing argument, an unreadable file. */
  ERR_USAGE: { retryable: false, exit: USAGE },
  /** `config get NAME KEY` named a key the plugin's config does not have. */
  ERR_CONFIG_KEY_NOT_FOUND: {
    retryable: false,
    exit: NOT_FOUND,
    hint: 'see its config with `bulkhead config get {name}`',
  },
  /** `config get --host KEY` named no setting. */
  ERR_HOST_SETTING_NOT_FOUND: {
    retryable: false,
    exit: NOT_FOUND,
    hint: 'see every setting with `bulkhead config get --host`',
  },
  /** `uninstall` refused: the plugin is running in the host, or was not installed by `bulkhead install`. */
  ERR_UNINSTALL_REFUSED: final,
  /** The CLI could not write a file it was asked to (`--output`), or read or write the home (permissions). */
  ERR_FILE_ACCESS: {
    ...final,
    hint: 'check that the path exists and that you may write there (the home: `bulkhead doctor`)',
  },
  /** `bulkhead new` could not make the plugin's files (packing the SDK into it failed). */
  ERR_SCAFFOLD_FAILED: { ...final, hint: 'check that npm works here (`bulkhead doctor`)' },
  // ─── the HTTP server (bulkhead serve) ───
  /** An HTTP request carried no token, or the wrong one. */
  ERR_UNAUTHORIZED: final,
  /** No HTTP route matches the method and path. */
  ERR_ROUTE_NOT_FOUND: final,
  /** An HTTP request body is not valid JSON (or not the content type the route takes). */
  ERR_INVALID_JSON: final,
  /** An HTTP request body is larger than the server accepts. */
  ERR_BODY_TOO_LARGE: final,
  /** `serve` was asked to listen beyond loopback without TLS and without `--insecure`. */
  ERR_INSECURE_BIND: { retryable: false, exit: USAGE },
  /** An event-stream client read too slowly and was dropped, so the server's memory stays bounded. */
  ERR_SLOW_CLIENT: final,
} as const satisfies Record<`ERR_${string}`, ErrorBehaviour>;

export type BulkheadErrorCode = keyof typeof ERRORS;

/** Every code mapped to itself, for `ERROR_CODES.ERR_TIMEOUT`-style references and `code in ERROR_CODES`. */
export const ERROR_CODES = Object.freeze(
  Object.fromEntries(Object.keys(ERRORS).map((c) => [c, c])) as { [C in BulkheadErrorCode]: C },
);

/** The behaviour of a code; an unknown code (from a newer peer) behaves as ERR_INTERNAL. */
export function behaviourOf(code: string): ErrorBehaviour {
  return (ERRORS as Record<string, ErrorBehaviour>)[code] ?? ERRORS.ERR_INTERNAL;
}

/** Whether a job that failed with `code` may be run again. */
export function isRetryable(code: string): boolean {
  return behaviourOf(code).retryable;
}

/** The CLI's hint for an error, its `{field}`s filled from `data`; undefined when the code has none. */
export function hintOf(e: { code: string; data?: unknown }): string | undefined {
  const hint = behaviourOf(e.code).hint;
  const data = (typeof e.data === 'object' && e.data !== null ? e.data : {}) as Record<string, unknown>;
  return hint?.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = data[k];
    return typeof v === 'string' || typeof v === 'number' ? String(v) : k.toUpperCase();
  });
}

/** Why the job store is unavailable: a short stable token (docs/errors.md, ERR_STORE_UNAVAILABLE). */
export type StoreUnavailableReason =
  | 'corrupt'
  | 'not-a-job-database'
  | 'locked'
  | 'in-use'
  | 'closed'
  | 'newer-schema'
  | 'disk-full'
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
 * The `data` of every code (`undefined`: the code carries none). {@link ErrorData} indexes it by
 * every code of {@link ERRORS}, so a code added there does not compile until its data is declared here.
 */
export interface ErrorDataMap {
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
  /** `limitMB`: its heap cap (null: Node's default); `peakMB`: the largest heap seen (null: unknown). */
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
  ERR_QUEUE_CLOSED: undefined;
  ERR_JOB_NOT_FOUND: { id: string };
  ERR_JOB_ID_AMBIGUOUS: { prefix: string; candidates: string[] };
  ERR_INPUT_INVALID: { issues: ConfigIssue[] };
  ERR_JOB_INTERRUPTED: { attempts: number };
  ERR_STORE_UNAVAILABLE: { file?: string; reason: StoreUnavailableReason; errno?: string };
  ERR_REDIS_UNAVAILABLE: { url: string; reason: RedisUnavailableReason; errno?: string };
  ERR_HOST_GONE: { socketPath: string; detail?: string };
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

/** The form an error takes on the wire (see docs/protocol.md, "Errors"). */
export interface WireError {
  code: string;
  message: string;
  data?: unknown;
}

const BRAND = Symbol.for('bulkhead.error');

/**
 * The base of every error Bulkhead raises. Check `code`, or use {@link isBulkheadError}, which works
 * even when two copies of the SDK are loaded (unlike `instanceof`).
 *
 * @example
 * try { await proc.execute(input) } catch (e) {
 *   if (isBulkheadError(e, 'ERR_WORKER_EXITED')) console.log(e.data.exitCode)
 * }
 */
export class BulkheadError<C extends BulkheadErrorCode = BulkheadErrorCode> extends Error {
  override name = 'BulkheadError';
  readonly code: C;
  readonly data: ErrorData<C>;

  constructor(code: C, message: string, data?: ErrorData<C>, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.data = data as ErrorData<C>;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** The wire form. Stacks of plugin errors travel inside `data`, never host stacks. */
  toJSON(): WireError {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** True if `e` is a BulkheadError (from any copy of the SDK), optionally with the given code. */
export function isBulkheadError<C extends BulkheadErrorCode>(e: unknown, code?: C): e is BulkheadError<C> {
  if (typeof e !== 'object' || e === null || !(BRAND in e)) return false;
  return code === undefined || (e as unknown as BulkheadError).code === code;
}

/**
 * Normalise anything thrown into a BulkheadError; the original is kept as `cause`.
 * Every boundary (RPC, job runner, HTTP) calls this one helper.
 */
export function toBulkheadError(e: unknown, fallback: BulkheadErrorCode = 'ERR_INTERNAL'): BulkheadError {
  if (isBulkheadError(e)) return e;
  if (e instanceof Error) {
    return new BulkheadError(fallback, e.message, errorDetails(e) as never, { cause: e });
  }
  if (typeof e === 'object' && e !== null) {
    // A thrown plain object (`throw { code: 'E_X', status: 404 }`): its code and fields are data.
    const o = e as { message?: unknown; name?: unknown };
    const message = typeof o.message === 'string' ? o.message : describeThrown(e);
    const details = errorDetails(e);
    return new BulkheadError(fallback, message, details as never, { cause: e });
  }
  return new BulkheadError(fallback, String(e), undefined, { cause: e });
}

/** Fields every error has, carried under their own names (or not at all) rather than in `fields`. */
const STANDARD_FIELDS = new Set(['name', 'message', 'stack', 'code', 'cause']);
const MAX_FIELD_BYTES = 8 * 1024;

function errorDetails(e: object): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  const { name, stack, code } = e as { name?: unknown; stack?: unknown; code?: unknown };
  if (typeof name === 'string') details.name = name;
  if (typeof stack === 'string') details.stack = stack;
  if (typeof code === 'string') details.pluginCode = code;
  else if (typeof code === 'number') details.pluginCode = String(code);
  // Its own fields (`status`, `details`…) as data, those JSON can carry, within a bound.
  const fields: Record<string, unknown> = {};
  let bytes = 0;
  for (const key of Object.keys(e)) {
    if (STANDARD_FIELDS.has(key)) continue;
    let json: string | undefined;
    try {
      json = JSON.stringify((e as Record<string, unknown>)[key]);
    } catch {
      continue; // a cycle, a BigInt: left out
    }
    if (json === undefined || bytes + json.length > MAX_FIELD_BYTES) continue;
    bytes += json.length;
    fields[key] = JSON.parse(json);
  }
  if (Object.keys(fields).length > 0) details.fields = fields;
  return details;
}

function describeThrown(e: object): string {
  try {
    const json = JSON.stringify(e);
    if (json !== undefined && json !== '{}') return json.length > 200 ? `${json.slice(0, 200)}…` : json;
  } catch {
    // fall through
  }
  return Object.prototype.toString.call(e);
}

/** Rebuild an error received from the wire. Unknown codes are kept as they are. */
export function errorFromWire(w: WireError): BulkheadError {
  const code = (w.code in ERROR_CODES ? w.code : 'ERR_INTERNAL') as BulkheadErrorCode;
  const err = new BulkheadError(code, w.message, w.data as never);
  const stack = (w.data as { stack?: unknown } | undefined)?.stack;
  // Show the plugin's own stack (from the worker) rather than the host's frames of the decoder.
  if (typeof stack === 'string') err.stack = `${code}: ${stack}`;
  return err;
}

/** Is this value a WireError-shaped object? */
export function isWireError(v: unknown): v is WireError {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as WireError).code === 'string' &&
    typeof (v as WireError).message === 'string'
  );
}
