/**
 * The control socket's wire format (docs/control.md): one JSON message per line.
 *
 * Lines rather than the worker protocol's length-prefixed frames because the peer may be anything
 * that can open a Unix socket (a shell script with `socat`, a Python tool), and a person debugging
 * can read the traffic. Bytes, which JSON cannot carry, become `{"$bytes": "<base64>"}`; the control
 * plane moves jobs and settings, not bulk data, so the third more that base64 costs is fine.
 * @module
 */
import { BulkheadError, isWireError, toBulkheadError, type WireError } from '@bulkhead/sdk/errors';
import { DEFAULT_MAX_FRAME_BYTES, VIEW_TYPES } from '@bulkhead/sdk/protocol';
import type { JobWatchEvent } from './types.js';

/** Bumped on any change an older peer would misread; the hello exchange compares them. */
export const CONTROL_PROTOCOL_VERSION = 1;

/**
 * The longest line either side accepts: the worker channel's frame limit, so whether a value
 * fits does not depend on whether it goes through another process's host. A longer one is
 * refused with ERR_FRAME_TOO_LARGE and the connection closed: its end cannot be found without
 * reading it all, which is the unbounded memory this limit exists to prevent.
 */
export const MAX_LINE_BYTES = DEFAULT_MAX_FRAME_BYTES;

/** What to say with ERR_FRAME_TOO_LARGE: the limit, and the way large data goes instead. */
export function tooLargeHint(maxLineBytes: number): string {
  const mib = maxLineBytes / (1024 * 1024);
  return (
    `the control socket's limit of ${maxLineBytes} bytes (${Number.isInteger(mib) ? mib : mib.toFixed(2)} MiB, base64 counted for bytes); ` +
    'pass large data as a file: put its path in the input and let the plugin read it'
  );
}

export interface ControlRequest {
  id: number;
  method: string;
  params?: unknown;
}

/** `id` is null only for an error about a line whose id could not be read. */
export type ControlResponse = { id: number | null; result: unknown } | { id: number | null; error: WireError };

/** Pushed by the host while a `watch` request (whose id is `watch`) is open. */
export interface ControlNotification {
  method: 'job.event';
  params: { watch: number; event: JobWatchEvent };
}

export type ControlMessage = ControlRequest | ControlResponse | ControlNotification;

/** What `hello` answers. */
export interface HelloResult {
  version: number;
  /** The host's pid. */
  pid: number;
  /** The home whose job database the host owns. */
  home: string;
}

// ─── values ─────────────────────────────────────────────────────────────────────────────────────

const BYTES = '$bytes';
/** Wraps a plain object that itself has a `$bytes` or `$object` key, so it is never mistaken for bytes. */
const OBJECT = '$object';
const MAX_DEPTH = 1000;

/**
 * `value` made JSON-safe: every Uint8Array (Buffer included) becomes `{"$bytes": base64}`; other
 * typed arrays, DataView and ArrayBuffer add `"type"` so they come back as what they were.
 */
export function toWire(value: unknown, depth = 0): unknown {
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    throw new BulkheadError('ERR_SERIALIZE', `cannot send a ${typeof value}`);
  }
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Map || value instanceof Set) {
    throw new BulkheadError('ERR_SERIALIZE', `cannot send a ${value.constructor.name}: use an object or an array`);
  }
  if (depth > MAX_DEPTH) {
    throw new BulkheadError('ERR_SERIALIZE', `cannot send a value nested deeper than ${MAX_DEPTH} (is it cyclic?)`);
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return bytesToWire(value);
  if (Array.isArray(value)) return value.map((v) => toWire(v, depth + 1));
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return toWire(withJson.toJSON(), depth + 1);
  // A null prototype: a key named `__proto__` stays a key instead of setting the prototype.
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(value)) out[k] = toWire(v, depth + 1);
  return BYTES in out || OBJECT in out ? { [OBJECT]: out } : out;
}

/** The inverse of {@link toWire}, applied in place to what JSON.parse returned. */
export function fromWire(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = fromWire(value[i]);
    return value;
  }
  const o = value as Record<string, unknown>;
  if (typeof o[BYTES] === 'string') return bytesFromWire(o[BYTES], o.type);
  const inner = OBJECT in o && Object.keys(o).length === 1 ? o[OBJECT] : null;
  const target = inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? inner : o;
  for (const k of Object.keys(target))
    (target as Record<string, unknown>)[k] = fromWire((target as Record<string, unknown>)[k]);
  return target;
}

function bytesToWire(value: ArrayBufferView | ArrayBuffer): Record<string, string> {
  const bytes =
    value instanceof ArrayBuffer ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const type =
    value instanceof ArrayBuffer ? 'ArrayBuffer' : value instanceof Uint8Array ? null : value.constructor.name;
  return type === null ? { [BYTES]: bytes.toString('base64') } : { [BYTES]: bytes.toString('base64'), type };
}

function bytesFromWire(base64: string, type: unknown): unknown {
  const buf = Buffer.from(base64, 'base64');
  if (type === undefined) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  // Wider element types need an aligned buffer of their own.
  const own = new Uint8Array(buf).buffer;
  if (type === 'ArrayBuffer') return own;
  if (type === 'DataView') return new DataView(own);
  const View = VIEW_TYPES[type as keyof typeof VIEW_TYPES];
  if (View === undefined) throw new BulkheadError('ERR_PROTOCOL', `unknown bytes type ${JSON.stringify(type)}`);
  return new View(own);
}

// ─── lines ──────────────────────────────────────────────────────────────────────────────────────

/** One message as a line, values encoded; ERR_FRAME_TOO_LARGE (nothing to send) past `maxLineBytes`. */
export function encodeLine(message: ControlMessage, maxLineBytes = MAX_LINE_BYTES): string {
  const line = `${JSON.stringify(toWire(message))}\n`;
  const bytes = Buffer.byteLength(line) - 1;
  if (bytes > maxLineBytes) {
    throw new BulkheadError('ERR_FRAME_TOO_LARGE', `message of ${bytes} bytes exceeds ${tooLargeHint(maxLineBytes)}`, {
      bytes,
      maxFrameBytes: maxLineBytes,
    });
  }
  return line;
}

/** Parses one line into a message, values decoded; ERR_PROTOCOL for anything that is not one. */
export function decodeLine(line: string): ControlMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (e) {
    throw new BulkheadError('ERR_PROTOCOL', `not a JSON line: ${(e as Error).message}`, undefined, { cause: e });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BulkheadError('ERR_PROTOCOL', 'a message must be a JSON object');
  }
  const m = parsed as Record<string, unknown>;
  const hasId = typeof m.id === 'number' && Number.isSafeInteger(m.id);
  const isRequest = hasId && typeof m.method === 'string';
  const isResponse = (hasId || m.id === null) && ('result' in m || isWireError(m.error));
  const isNotification = m.id === undefined && m.method === 'job.event' && typeof m.params === 'object';
  if (!isRequest && !isResponse && !isNotification) {
    throw new BulkheadError('ERR_PROTOCOL', 'a message needs an integer "id" with "method", "result" or "error"');
  }
  return fromWire(m) as ControlMessage;
}

/** The id of a line that failed to decode, when it can still be read, so the error reaches its caller. */
export function idOfBadLine(line: string): number | null {
  const id = /^\s*\{\s*"id"\s*:\s*(\d{1,15})\s*[,}]/.exec(line)?.[1];
  return id === undefined ? null : Number(id);
}

/**
 * Splits a byte stream into lines, holding at most `maxLineBytes` of an unfinished one.
 * Newline is one byte that never occurs inside a UTF-8 sequence, so chunks split anywhere.
 */
export class LineReader {
  readonly #max: number;
  #parts: Buffer[] = [];
  #size = 0;

  constructor(maxLineBytes = MAX_LINE_BYTES) {
    this.#max = maxLineBytes;
  }

  /** The lines `chunk` completes; throws ERR_FRAME_TOO_LARGE once a line passes the limit. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.#check(this.#size + nl - start);
      const piece = chunk.subarray(start, nl);
      lines.push((this.#size === 0 ? piece : Buffer.concat([...this.#parts, piece])).toString('utf8'));
      this.#parts = [];
      this.#size = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.#check(this.#size + chunk.length - start);
      this.#parts.push(chunk.subarray(start));
      this.#size += chunk.length - start;
    }
    return lines;
  }

  #check(bytes: number): void {
    if (bytes <= this.#max) return;
    throw new BulkheadError('ERR_FRAME_TOO_LARGE', `line of over ${bytes} bytes exceeds ${tooLargeHint(this.#max)}`, {
      bytes,
      maxFrameBytes: this.#max,
    });
  }
}

// ─── errors ─────────────────────────────────────────────────────────────────────────────────────

/** Any thrown value in its wire form (normalised to a BulkheadError first). */
export function errorToWire(e: unknown): WireError {
  return toBulkheadError(e).toJSON();
}
