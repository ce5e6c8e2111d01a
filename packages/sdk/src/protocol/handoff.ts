/**
 * File handoff: a binary value too big to want through the socket travels as a file in a private
 * directory the host made for one worker, named in the frame as `{"$file": name, "size": n}`
 * (docs/protocol.md, 3.1). The receiver reads it and removes it: the file is the receiver's once
 * the frame is sent. Names are plain file names inside that directory, never paths, so a peer
 * cannot make the other side read or remove anything else.
 * @module
 */
import { closeSync, openSync, readSync, unlink, writeSync } from 'node:fs';
import { basename, join } from 'node:path';

export const FILE_KEY = '$file';

/** Where files are handed over, and from which size a binary goes by file instead of inline. */
export interface HandoffDir {
  dir: string;
  /** Binaries of at least this many bytes go by file. */
  minBytes: number;
}

/** Binaries of at least this size go by file when both sides support handoff (128 MiB). */
export const DEFAULT_HANDOFF_BYTES = 128 * 1024 * 1024;

const HANDOFF_BRAND = Symbol.for('bulkhead.handoff');

/** A binary value to send by file whatever its size. Made by {@link handoff}. */
export interface FileHandoff {
  readonly [HANDOFF_BRAND]: true;
  readonly bytes: Uint8Array;
}

/**
 * Marks a binary value to travel by file rather than through the socket (for very large payloads:
 * the reference design's file-backed transfer). The receiver gets an ordinary Uint8Array.
 *
 * @example
 * return { image: handoff(pixels) };
 */
export function handoff(bytes: ArrayBufferView): FileHandoff {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Object.freeze({ [HANDOFF_BRAND]: true as const, bytes: u8 });
}

export function isFileHandoff(v: unknown): v is FileHandoff {
  return typeof v === 'object' && v !== null && (v as FileHandoff)[HANDOFF_BRAND] === true;
}

let counter = 0;

/** Writes `bytes` as a new file of the handoff directory; its reference. */
export function writeHandoff(h: HandoffDir, bytes: Uint8Array, type?: string): Record<string, unknown> {
  const name = `n${process.pid}-${++counter}.bin`;
  const fd = openSync(join(h.dir, name), 'wx', 0o600);
  try {
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(fd, bytes, off, Math.min(bytes.byteLength - off, 1 << 30));
  } finally {
    closeSync(fd);
  }
  return type === undefined
    ? { [FILE_KEY]: name, size: bytes.byteLength }
    : { [FILE_KEY]: name, size: bytes.byteLength, type };
}

/**
 * Reads (and removes) a handed-over file. Throws a plain Error, which the frame decoder turns into
 * a protocol error, for a name that is not a file of the directory or a size that does not match.
 */
export function readHandoff(dir: string | undefined, ref: Record<string, unknown>): Buffer {
  const name = ref[FILE_KEY];
  if (dir === undefined) throw new Error('a file reference arrived, but this channel has no handoff directory');
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || basename(name) !== name) {
    throw new Error(`file reference ${JSON.stringify(name)} is not a file of the handoff directory`);
  }
  const path = join(dir, name);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new Error(`file reference ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const size = typeof ref.size === 'number' ? ref.size : undefined;
    if (size === undefined || !Number.isInteger(size) || size < 0)
      throw new Error(`file reference ${name} has no size`);
    const out = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, out, off, Math.min(size - off, 1 << 30), off);
      if (n === 0) throw new Error(`file reference ${name} holds ${off} bytes, not ${size}`);
      off += n;
    }
    return out;
  } finally {
    closeSync(fd);
    // Off the critical path: freeing a GiB of tmpfs pages takes ~0.2 s, and nothing waits on it
    // (the host removes the whole directory when the worker exits anyway).
    unlink(path, () => {});
  }
}
