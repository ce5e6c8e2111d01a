/**
 * Job values for people: bytes are never printed as a list of numbers (a 12 KB image would be
 * 12,000 lines) but as their size and how to save them; `--output FILE` writes them raw.
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { toWire } from '../control/wire.js';
import { CliError } from './cli-error.js';

/** A place in a value: `result`, `result.image`, `result.pages[2]`. */
function at(base: string, key: string | number): string {
  return typeof key === 'number'
    ? `${base}[${key}]`
    : /^[A-Za-z_$][\w$]*$/.test(key)
      ? `${base}.${key}`
      : `${base}[${JSON.stringify(key)}]`;
}

/** Every byte value inside `value`, with where it is. */
export function bytesIn(value: unknown, path = 'result', found: { path: string; bytes: Uint8Array }[] = []) {
  if (ArrayBuffer.isView(value)) {
    found.push({ path, bytes: new Uint8Array(value.buffer, value.byteOffset, value.byteLength) });
  } else if (value instanceof ArrayBuffer) {
    found.push({ path, bytes: new Uint8Array(value) });
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) bytesIn(v, at(path, i), found);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) bytesIn(v, at(path, k), found);
  }
  return found;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

/** `value` as one line (or block) of text: a string as is, anything else as JSON with bytes as `<N bytes>`. */
export function showValue(value: unknown, indent?: number): string {
  if (typeof value === 'string') return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `<${formatBytes(value.byteLength)} of bytes>`;
  return (
    JSON.stringify(
      value,
      function (this: unknown, key: string, v: unknown) {
        // JSON.stringify has already called a Buffer's toJSON by now: look at the original.
        const original = (this as Record<string, unknown>)[key];
        if (ArrayBuffer.isView(original) || original instanceof ArrayBuffer) {
          return `<${formatBytes(original.byteLength)} of bytes>`;
        }
        return v;
      },
      indent,
    ) ?? String(value)
  );
}

/** The note under a result that holds bytes: how much, where, and how to save them. */
export function bytesHint(value: unknown, command: string): string | null {
  const found = bytesIn(value);
  if (found.length === 0) return null;
  const where = found.map((f) => `${f.path} (${formatBytes(f.bytes.byteLength)})`).join(', ');
  const one = found.length === 1 ? ' raw' : ' as JSON with base64 bytes';
  return `the result holds bytes: ${where}; save it${one} with \`${command} --output FILE\`, or print base64 with --json`;
}

/**
 * `--output FILE`: a result that is bytes, or holds exactly one byte value, goes to the file raw;
 * any other result is written as the JSON that `--json` prints (bytes as `{"$bytes": base64}`).
 * Returns what was written, for the note.
 */
export async function writeResult(file: string, value: unknown): Promise<string> {
  const found = bytesIn(value);
  let data: Uint8Array | string;
  let what: string;
  if (found.length === 1) {
    const only = found[0]!;
    data = only.bytes;
    what = `${only.path}, ${formatBytes(only.bytes.byteLength)}`;
  } else if (typeof value === 'string') {
    data = value;
    what = 'the result as text';
  } else {
    data = `${JSON.stringify(toWire(value), null, 2)}\n`;
    what = 'the result as JSON';
  }
  try {
    await writeFile(file, data);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    throw new CliError('ERR_FILE_ACCESS', `cannot write ${file}: ${errno ?? (e as Error).message}`, {
      data: { file, ...(errno ? { errno } : {}) },
    });
  }
  return what;
}
