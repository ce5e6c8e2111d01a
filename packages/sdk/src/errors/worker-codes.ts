/**
 * The codes of the plugin, its worker and the wire between them, and of any API's arguments.
 * @module
 */
import { type CodeTable, final, retried } from './behaviour.js';

export const WORKER_CODES = {
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
  /** The worker ran out of memory (its heap limit, a Python MemoryError, its memory cgroup, or the RSS watchdog). */
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
} as const satisfies CodeTable;
