/**
 * The HTTP status of each error code, and the one error body every route answers with. A
 * `Record` over every code, so a code added to the registry does not compile until it has a status.
 * @module
 */
import { type BulkheadErrorCode, toBulkheadError, type WireError } from '@bulkhead/sdk/errors';

export const HTTP_STATUS: Record<BulkheadErrorCode, number> = {
  ERR_PLUGIN_FAILED: 500,
  ERR_PLUGIN_MODULE_NOT_FOUND: 404,
  ERR_PLUGIN_LOAD: 500,
  ERR_PLUGIN_INVALID: 500,
  ERR_CONFIG_INVALID: 400,
  ERR_NOT_SUPPORTED: 400,
  ERR_CANCELLED: 409,
  ERR_TIMEOUT: 504,
  ERR_SERIALIZE: 400,
  ERR_FRAME_TOO_LARGE: 413,
  ERR_PROTOCOL: 400,
  ERR_PROTOCOL_VERSION: 400,
  ERR_HANDSHAKE_TIMEOUT: 504,
  ERR_WORKER_EXITED: 500,
  ERR_SPAWN: 500,
  ERR_NODE_UNSUPPORTED: 500,
  ERR_METHOD_NOT_FOUND: 404,
  ERR_INVALID_ARGUMENT: 400,
  ERR_INTERNAL: 500,
  ERR_MANIFEST_INVALID: 500,
  ERR_UNKNOWN_PLUGIN: 404,
  ERR_PLUGIN_NAME_MISMATCH: 500,
  ERR_PLUGIN_DISABLED: 409,
  ERR_PLUGIN_CIRCUIT_OPEN: 503,
  ERR_INSUFFICIENT_RESOURCES: 503,
  ERR_MANAGER_CLOSED: 503,
  ERR_QUEUE_CLOSED: 503,
  ERR_JOB_NOT_FOUND: 404,
  ERR_JOB_ID_AMBIGUOUS: 409,
  ERR_INPUT_INVALID: 400,
  ERR_JOB_INTERRUPTED: 500,
  ERR_STORE_UNAVAILABLE: 503,
  ERR_REDIS_UNAVAILABLE: 503,
  ERR_INSTALL_FAILED: 500,
  ERR_HOST_GONE: 503,
  ERR_PLUGINS_FILE_INVALID: 400,
  ERR_HOST_CONFIG_INVALID: 500,
  ERR_USAGE: 400,
  ERR_CONFIG_KEY_NOT_FOUND: 404,
  ERR_HOST_SETTING_NOT_FOUND: 404,
  ERR_UNINSTALL_REFUSED: 409,
  ERR_FILE_ACCESS: 500,
  ERR_SCAFFOLD_FAILED: 500,
  ERR_DISK_FULL: 507,
  ERR_WORKER_OOM: 500,
  ERR_WORKER_UNRESPONSIVE: 500,
  ERR_LOCKED: 409,
  ERR_UNAUTHORIZED: 401,
  ERR_ROUTE_NOT_FOUND: 404,
  ERR_INVALID_JSON: 400,
  ERR_BODY_TOO_LARGE: 413,
  ERR_INSECURE_BIND: 400,
  ERR_SLOW_CLIENT: 429,
};

/** The body of every error answer: `{ error: { code, message, data? } }`. */
export interface ErrorBody {
  error: WireError;
}

/**
 * `e` as an HTTP status and body. A host-side stack never leaves the server: ERR_INTERNAL (what
 * anything unexpected becomes) is answered with its message only. A plugin's stack, which is data
 * of the plugin's own failure, is kept.
 */
export function errorReply(e: unknown): { status: number; body: ErrorBody } {
  const err = toBulkheadError(e);
  const wire = err.toJSON();
  if (err.code === 'ERR_INTERNAL') delete wire.data;
  return { status: HTTP_STATUS[err.code] ?? 500, body: { error: wire } };
}
