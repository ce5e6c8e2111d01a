/**
 * The form an error takes on the wire (docs/protocol.md, "Errors"), and rebuilding one from it.
 * @module
 */
import { BulkheadError } from './bulkhead-error.js';
import { type BulkheadErrorCode, ERROR_CODES } from './registry.js';

/** The form an error takes on the wire (see docs/protocol.md, "Errors"). */
export interface WireError {
  code: string;
  message: string;
  data?: unknown;
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
