/**
 * Payload encoding: turns a value into something `JSON.stringify` can write without losing data,
 * moving binary values out into attachments, and puts them back on the other side.
 *
 * A binary value becomes `{"$bin": i}` (plus `"type"` when it is not a plain Uint8Array) where `i`
 * indexes the frame's attachments. Everything JSON cannot carry faithfully is refused with
 * ERR_SERIALIZE rather than silently dropped: functions, symbols, BigInts, Maps, Sets, cycles, and
 * objects that use the reserved `$bin` key.
 * @module
 */
import { BulkheadError } from '../errors.js';
import { FILE_KEY, type HandoffDir, isFileHandoff, readHandoff, writeHandoff } from './handoff.js';

export const BIN_KEY = '$bin';

/** Typed-array constructors a `type` hint may name (the host's control socket names the same). */
export const VIEW_TYPES = {
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type ViewTypeName = keyof typeof VIEW_TYPES;
type ViewConstructor = (typeof VIEW_TYPES)[ViewTypeName];

export interface BinRef {
  [BIN_KEY]: number;
  type?: 'Buffer' | 'ArrayBuffer' | 'DataView' | ViewTypeName;
}

/** Depth past which we look for cycles; shallower data pays nothing for the check. */
const CYCLE_CHECK_DEPTH = 64;
const MAX_DEPTH = 2000;

/**
 * Returns `value` ready for JSON.stringify, with binaries replaced by references appended to
 * `bins`. Containers are copied only along the path to a binary; everything else is shared.
 */
export function preparePayload(value: unknown, bins: Uint8Array[], where: string, handoff?: HandoffDir): unknown {
  // Most payloads are plain JSON: check that without allocating, and only walk with path tracking
  // (to replace binaries, or to say exactly what is wrong) when it is not.
  if (isPlainJson(value, 0)) return value;
  const stack: unknown[] = [];
  const keys: (string | number)[] = [];

  const fail = (why: string): never => {
    const path = keys.length
      ? `${where}${keys.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('')}`
      : where;
    throw new BulkheadError('ERR_SERIALIZE', `cannot serialize ${path}: ${why}`, { path });
  };

  const visit = (v: unknown, key: string | number): unknown => {
    switch (typeof v) {
      case 'string':
      case 'number':
      case 'boolean':
      case 'undefined':
        return v;
      case 'function':
        return fail('functions cannot cross a process boundary');
      case 'symbol':
        return fail('symbols cannot cross a process boundary');
      case 'bigint':
        return fail('BigInt is not JSON; send it as a string');
    }
    if (v === null) return v;
    const o = v as object;
    if (ArrayBuffer.isView(o)) {
      if (handoff !== undefined && o.byteLength >= handoff.minBytes) return fileRef(o, handoff);
      return binRef(o, bins);
    }
    if (isFileHandoff(o)) {
      if (handoff === undefined) return fail('the peer has no handoff directory for a file');
      return fileRef(o.bytes, handoff);
    }
    if (o instanceof ArrayBuffer) {
      bins.push(snapshot(new Uint8Array(o)));
      return { [BIN_KEY]: bins.length - 1, type: 'ArrayBuffer' };
    }
    if (o instanceof Map || o instanceof Set || o instanceof WeakMap || o instanceof WeakSet) {
      return fail(`${o.constructor.name} is not JSON; convert it to an array or object`);
    }
    if (o instanceof Promise) return fail('a Promise cannot be sent; await it first');
    if (stack.length >= CYCLE_CHECK_DEPTH && stack.includes(o)) return fail('cyclic structure');
    if (stack.length >= MAX_DEPTH) return fail(`nested deeper than ${MAX_DEPTH} levels`);
    if (o instanceof Date) return o; // its toJSON gives a string: nothing to check
    const toJSON = (o as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      // What JSON.stringify would write is toJSON's result, so that is what must be checked (it
      // may hold binaries, or objects that look like references).
      stack.push(o);
      const replaced = visit(toJSON.call(o, String(key)), key);
      stack.pop();
      return replaced;
    }

    stack.push(o);
    let out: unknown = o;
    if (Array.isArray(o)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < o.length; i++) {
        keys.push(i);
        const item = o[i];
        const next = visit(item, i);
        keys.pop();
        if (next !== item) {
          copy ??= o.slice();
          copy[i] = next;
        }
      }
      if (copy) out = copy;
    } else {
      if (Object.hasOwn(o, BIN_KEY)) return fail(`"${BIN_KEY}" is a reserved key`);
      if (Object.hasOwn(o, FILE_KEY)) return fail(`"${FILE_KEY}" is a reserved key`);
      let copy: Record<string, unknown> | undefined;
      for (const k in o) {
        if (!Object.hasOwn(o, k)) continue;
        keys.push(k);
        const item = (o as Record<string, unknown>)[k];
        const next = visit(item, k);
        keys.pop();
        if (next !== item) {
          copy ??= { ...(o as Record<string, unknown>) };
          copy[k] = next;
        }
      }
      if (copy) out = copy;
    }
    stack.pop();
    return out;
  };

  return visit(value, '');
}

/** Depth past which the quick check gives up (and the full walk, which detects cycles, decides). */
const QUICK_DEPTH = 32;

/** True if JSON.stringify would write `v` faithfully and it holds no binary: no copy needed. */
function isPlainJson(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (v === null) return true;
  if (depth > QUICK_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isPlainJson(v[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in v as Record<string, unknown>) {
    if (k === BIN_KEY || k === FILE_KEY || !isPlainJson((v as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

/**
 * Attachments up to this size are copied when encoded, so a caller that reuses a scratch buffer
 * right after the call cannot change what is sent. Larger ones are sent from the caller's memory,
 * without a copy: they must not be changed until the call settles (see docs/protocol.md).
 */
export const SNAPSHOT_MAX_BYTES = 64 * 1024;

function snapshot(bytes: Uint8Array): Uint8Array {
  return bytes.byteLength <= SNAPSHOT_MAX_BYTES ? bytes.slice() : bytes;
}

function binRef(view: ArrayBufferView, bins: Uint8Array[]): BinRef {
  const bytes = view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  bins.push(snapshot(bytes));
  const index = bins.length - 1;
  if (Buffer.isBuffer(view)) return { [BIN_KEY]: index, type: 'Buffer' };
  // The built-in tag, not constructor.name: right for subclasses and for arrays from another realm.
  const tag = Object.prototype.toString.call(view).slice(8, -1);
  if (tag === 'Uint8Array') return { [BIN_KEY]: index };
  return { [BIN_KEY]: index, type: tag as ViewTypeName };
}

/** A binary written to a handoff file, referenced with the same type hint as an attachment. */
function fileRef(view: ArrayBufferView, h: HandoffDir): Record<string, unknown> {
  const bytes = view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const ref = binRef(view, []);
  return writeHandoff(h, bytes, ref.type);
}

/**
 * Replaces `{"$bin": i}` references in a parsed payload with views of the attachments, and
 * `{"$file": name}` ones with the bytes of that file of `handoffDir` (which is then removed).
 */
export function revivePayload(value: unknown, attachments: Buffer[], handoffDir?: string): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revivePayload(value[i], attachments, handoffDir);
    return value;
  }
  const rec = value as Record<string, unknown>;
  const idx = rec[BIN_KEY];
  if (typeof idx === 'number') return materialize(rec as unknown as BinRef, attachments);
  if (FILE_KEY in rec) {
    const bytes = readHandoff(handoffDir, rec);
    return materialize({ [BIN_KEY]: 0, ...(typeof rec.type === 'string' ? { type: rec.type } : {}) } as BinRef, [
      bytes,
    ]);
  }
  for (const k in rec) rec[k] = revivePayload(rec[k], attachments, handoffDir);
  return rec;
}

function materialize(ref: BinRef, attachments: Buffer[]): unknown {
  const buf = attachments[ref[BIN_KEY]];
  if (buf === undefined) throw new Error(`attachment ${ref[BIN_KEY]} does not exist`);
  const type = ref.type;
  if (type === undefined) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (type === 'Buffer') return buf;
  if (type === 'ArrayBuffer') return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  if (type === 'DataView') return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const Ctor =
    (VIEW_TYPES as Record<string, ViewConstructor | undefined>)[type] ??
    // Newer runtimes only (Node 24 has Float16Array), so looked up rather than listed.
    ((type as string) === 'Float16Array'
      ? ((globalThis as Record<string, unknown>).Float16Array as ViewConstructor | undefined)
      : undefined);
  // A type this side does not know (Float16Array from a newer peer…) arrives as plain bytes.
  if (Ctor === undefined) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const size = Ctor.BYTES_PER_ELEMENT;
  if (buf.byteLength % size !== 0) throw new Error(`${type} attachment of ${buf.byteLength} bytes`);
  // Typed arrays need aligned offsets; a view into a socket chunk may not be, so copy then.
  const aligned = buf.byteOffset % size === 0 ? buf : new Uint8Array(buf); // a copy starts at 0
  return new Ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.byteLength / size);
}
