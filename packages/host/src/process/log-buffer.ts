/**
 * Bounded log capture for one worker: a ring buffer of entries, and line splitting of its
 * stdout/stderr with a cap on line length, so a plugin that floods its output costs bounded memory.
 * @module
 */
import type { Readable } from 'node:stream';

export type LogSource = 'stdout' | 'stderr' | 'plugin' | 'host';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  /** Milliseconds since the epoch. */
  time: number;
  source: LogSource;
  level: LogLevel;
  message: string;
  /** The call that logged it, when the plugin used `ctx.log`. */
  callId?: number;
  data?: unknown;
}

/** A fixed-capacity ring: the newest `capacity` items, oldest first on read. */
export class Ring<T> {
  readonly #items: (T | undefined)[];
  #next = 0;
  #size = 0;

  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#items = new Array(Math.max(1, capacity));
  }

  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.#items.length;
    if (this.#size < this.#items.length) this.#size++;
  }

  get size(): number {
    return this.#size;
  }

  /** The newest `n` items (all by default), oldest first. */
  last(n = this.#size): T[] {
    const count = Math.max(0, Math.min(Math.floor(n) || 0, this.#size));
    const out: T[] = new Array(count);
    const len = this.#items.length;
    for (let i = 0; i < count; i++) {
      out[i] = this.#items[(this.#next - count + i + len) % len] as T;
    }
    return out;
  }
}

/**
 * Calls `onLine` for each line of `stream`. A line longer than `maxLineLength` characters is cut
 * there and marked, and the rest of it is skipped, so one endless line cannot grow memory.
 */
export function splitLines(stream: Readable, maxLineLength: number, onLine: (line: string) => void): void {
  let partial = '';
  let skipping = false;
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      if (skipping) skipping = false;
      else emit(partial + text.slice(start, nl));
      partial = '';
      start = nl + 1;
    }
    if (skipping || start >= text.length) return;
    partial += text.slice(start);
    if (partial.length > maxLineLength) {
      onLine(`${partial.slice(0, maxLineLength)} …[line truncated]`);
      partial = '';
      skipping = true;
    }
  });
  stream.on('end', () => {
    if (partial && !skipping) emit(partial);
    partial = '';
  });
  function emit(line: string): void {
    const clean = line.endsWith('\r') ? line.slice(0, -1) : line;
    onLine(clean.length > maxLineLength ? `${clean.slice(0, maxLineLength)} …[line truncated]` : clean);
  }
}
