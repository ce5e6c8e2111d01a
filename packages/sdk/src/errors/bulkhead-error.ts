/**
 * BulkheadError, the base of every error Bulkhead raises, and turning anything thrown into one.
 * @module
 */
import type { ErrorData } from './error-data.js';
import type { BulkheadErrorCode } from './registry.js';
import type { WireError } from './wire-error.js';

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
