/**
 * The one registry of Bulkhead error codes, shared by the worker and the host so that a failure
 * means the same thing on both sides of the wire.
 *
 * Every code is documented in docs/errors.md; a test keeps the two in step.
 * @module
 */

/** Stable string codes. Match on these, never on messages. */
export const ERROR_CODES = {
  /** A plugin's execute/stream/initialize/configure threw. */
  ERR_PLUGIN_FAILED: 'ERR_PLUGIN_FAILED',
  /** The plugin module could not be found. */
  ERR_PLUGIN_NOT_FOUND: 'ERR_PLUGIN_NOT_FOUND',
  /** The plugin module threw while being imported. */
  ERR_PLUGIN_LOAD: 'ERR_PLUGIN_LOAD',
  /** The module loaded but exports no plugin made by definePlugin, or the definition is malformed. */
  ERR_PLUGIN_INVALID: 'ERR_PLUGIN_INVALID',
  /** A config failed the plugin's schema. */
  ERR_CONFIG_INVALID: 'ERR_CONFIG_INVALID',
  /** The plugin does not implement what was asked (execute, stream or configure). */
  ERR_NOT_SUPPORTED: 'ERR_NOT_SUPPORTED',
  /** The call was cancelled (AbortSignal, stream abandoned, or forced after a grace period). */
  ERR_CANCELLED: 'ERR_CANCELLED',
  /** The call exceeded its timeout. */
  ERR_TIMEOUT: 'ERR_TIMEOUT',
  /** A value could not be encoded for the wire (function, symbol, cycle, BigInt, Map, Set…). */
  ERR_SERIALIZE: 'ERR_SERIALIZE',
  /** An outgoing frame exceeds the maximum frame size; nothing was sent. */
  ERR_FRAME_TOO_LARGE: 'ERR_FRAME_TOO_LARGE',
  /** The peer sent bytes that break the protocol; the worker is killed. */
  ERR_PROTOCOL: 'ERR_PROTOCOL',
  /** The peer speaks an incompatible major protocol version. */
  ERR_PROTOCOL_VERSION: 'ERR_PROTOCOL_VERSION',
  /** The worker did not answer the handshake in time. */
  ERR_HANDSHAKE_TIMEOUT: 'ERR_HANDSHAKE_TIMEOUT',
  /** The worker process exited (crashed, was killed, or was stopped) while calls were pending. */
  ERR_WORKER_EXITED: 'ERR_WORKER_EXITED',
  /** The worker ran out of memory (its JavaScript heap limit, a Python MemoryError). */
  ERR_WORKER_OOM: 'ERR_WORKER_OOM',
  /** A busy worker stopped answering and using CPU (or was stopped) for the liveness window: killed. */
  ERR_WORKER_UNRESPONSIVE: 'ERR_WORKER_UNRESPONSIVE',
  /** The worker process could not be spawned. */
  ERR_SPAWN: 'ERR_SPAWN',
  /** This Node.js is too old for Bulkhead (it needs 22.13 or later; 24 LTS recommended). */
  ERR_NODE_UNSUPPORTED: 'ERR_NODE_UNSUPPORTED',
  /** A method the receiver does not know. */
  ERR_METHOD_NOT_FOUND: 'ERR_METHOD_NOT_FOUND',
  /** An argument given to a Bulkhead API is invalid (wrong type, out of range). */
  ERR_INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
  /** Anything thrown that was not a BulkheadError, normalised at a boundary. */
  ERR_INTERNAL: 'ERR_INTERNAL',
  /** A plugin manifest is not JSON, breaks the manifest schema, or points at a missing entry. */
  ERR_MANIFEST_INVALID: 'ERR_MANIFEST_INVALID',
  /** No plugin of that name was discovered. */
  ERR_UNKNOWN_PLUGIN: 'ERR_UNKNOWN_PLUGIN',
  /** The plugin is disabled; enable it first. */
  ERR_PLUGIN_DISABLED: 'ERR_PLUGIN_DISABLED',
  /** The plugin crashed too often and its circuit breaker is open (until a cool-down ends, or a reset). */
  ERR_PLUGIN_UNAVAILABLE: 'ERR_PLUGIN_UNAVAILABLE',
  /** Not enough RAM, GPU memory, GPUs or CPUs for the work, even after evicting idle plugins. */
  ERR_INSUFFICIENT_RESOURCES: 'ERR_INSUFFICIENT_RESOURCES',
  /** The manager (or queue) was closed; it takes no new work. */
  ERR_MANAGER_CLOSED: 'ERR_MANAGER_CLOSED',
  /** The job queue was stopped; it takes no new work. */
  ERR_QUEUE_CLOSED: 'ERR_QUEUE_CLOSED',
  /** No job with that id. */
  ERR_JOB_NOT_FOUND: 'ERR_JOB_NOT_FOUND',
  /** A job id prefix that starts the ids of several jobs. */
  ERR_JOB_ID_AMBIGUOUS: 'ERR_JOB_ID_AMBIGUOUS',
  /** A job's input breaks the plugin's declared input schema. */
  ERR_INPUT_INVALID: 'ERR_INPUT_INVALID',
  /** The job was running when its host died, and no attempts were left to retry it. */
  ERR_JOB_INTERRUPTED: 'ERR_JOB_INTERRUPTED',
  /** The job store cannot be used: a corrupt or locked database, an unreachable server. */
  ERR_STORE_UNAVAILABLE: 'ERR_STORE_UNAVAILABLE',
  /** The Redis server of a scaled-out queue cannot be reached (at start, or while it reconnects). */
  ERR_REDIS_UNAVAILABLE: 'ERR_REDIS_UNAVAILABLE',
  /** Installing a plugin into its environment failed (npm, the pinned Node, or its first start). */
  ERR_INSTALL_FAILED: 'ERR_INSTALL_FAILED',
  /** The disk is full: what could not be written, and where. Nothing half-written is left. */
  ERR_DISK_FULL: 'ERR_DISK_FULL',
  /** A lock (the plugin state's) is held by another live process for longer than the wait allows. */
  ERR_LOCKED: 'ERR_LOCKED',
  /** The Bulkhead process that owned the job database (reached through its control socket) went away. */
  ERR_HOST_GONE: 'ERR_HOST_GONE',
  // ─── the HTTP server (bulkhead serve) ───
  /** An HTTP request carried no token, or the wrong one. */
  ERR_UNAUTHORIZED: 'ERR_UNAUTHORIZED',
  /** No HTTP route matches the method and path. */
  ERR_ROUTE_NOT_FOUND: 'ERR_ROUTE_NOT_FOUND',
  /** An HTTP request body is not valid JSON (or not the content type the route takes). */
  ERR_INVALID_JSON: 'ERR_INVALID_JSON',
  /** An HTTP request body is larger than the server accepts. */
  ERR_BODY_TOO_LARGE: 'ERR_BODY_TOO_LARGE',
  /** `serve` was asked to listen beyond loopback without TLS and without `--insecure`. */
  ERR_INSECURE_BIND: 'ERR_INSECURE_BIND',
  /** An event-stream client read too slowly and was dropped, so the server's memory stays bounded. */
  ERR_SLOW_CLIENT: 'ERR_SLOW_CLIENT',
} as const;

export type BulkheadErrorCode = keyof typeof ERROR_CODES;

/** Typed details for the codes that carry them; other codes carry a free-form record. */
export interface ErrorDataMap {
  ERR_PLUGIN_FAILED: { name?: string; stack?: string; pluginCode?: string; fields?: Record<string, unknown> };
  ERR_PLUGIN_NOT_FOUND: { modulePath: string };
  ERR_PLUGIN_LOAD: { modulePath?: string; stack?: string };
  ERR_CONFIG_INVALID: { issues: ConfigIssue[] };
  ERR_CANCELLED: { forced: boolean; reason?: string };
  ERR_TIMEOUT: { timeoutMs: number; forced: boolean };
  ERR_FRAME_TOO_LARGE: { bytes: number; maxFrameBytes: number };
  ERR_PROTOCOL_VERSION: { host: string; worker: string };
  ERR_HANDSHAKE_TIMEOUT: { timeoutMs: number };
  ERR_MANIFEST_INVALID: { file: string; field?: string };
  ERR_UNKNOWN_PLUGIN: { name: string; known?: string[]; manifest?: string; reason?: string };
  ERR_PLUGIN_DISABLED: { name: string };
  ERR_PLUGIN_UNAVAILABLE: {
    name: string;
    crashes: number;
    retryAt?: number;
    lastError?: string;
    stderrTail?: string[];
  };
  ERR_INSUFFICIENT_RESOURCES: { resource: string; needed: number; free: number; unit: string };
  ERR_JOB_NOT_FOUND: { id: string };
  ERR_JOB_ID_AMBIGUOUS: { prefix: string; candidates: string[] };
  ERR_INPUT_INVALID: { issues: ConfigIssue[] };
  ERR_JOB_INTERRUPTED: { attempts: number };
  ERR_STORE_UNAVAILABLE: { file?: string; reason: string };
  ERR_REDIS_UNAVAILABLE: { url: string; reason: string };
  ERR_NODE_UNSUPPORTED: { node: string; needed: string };
  ERR_HOST_GONE: { socketPath: string; reason?: string };
  ERR_LOCKED: { file: string; pid: number; since: number };
  ERR_DISK_FULL: { path: string };
  ERR_WORKER_UNRESPONSIVE: { pid: number | null; quietMs: number; stopped: boolean };
  ERR_ROUTE_NOT_FOUND: { method: string; url: string };
  ERR_BODY_TOO_LARGE: { limitBytes: number };
  ERR_INSECURE_BIND: { host: string };
  ERR_SLOW_CLIENT: { bufferedBytes: number; limitBytes: number };
  ERR_WORKER_EXITED: {
    exitCode: number | null;
    signal: string | null;
    stderrTail: string[];
    stopped?: boolean;
    reason?: string;
    /** An uncaught error's message and stack, read from the worker's stderr. */
    uncaught?: { message: string; stack: string };
  };
  ERR_WORKER_OOM: {
    limitMB: number | null;
    peakMB: number | null;
    exitCode: number | null;
    signal: string | null;
    stderrTail: string[];
  };
}

/** One failing field of a config: `path` is the dotted location, `message` the reason. */
export interface ConfigIssue {
  path: string;
  message: string;
}

export type ErrorData<C extends BulkheadErrorCode> = C extends keyof ErrorDataMap
  ? ErrorDataMap[C]
  : Record<string, unknown> | undefined;

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
