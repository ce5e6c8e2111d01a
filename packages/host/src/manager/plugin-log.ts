/**
 * One plugin's log: every entry goes to a bounded in-memory tail and to a rotating JSON-lines file
 * under `<home>/logs/<plugin>.log` (rotated by size, classic `.1`, `.2` … names). A plugin that
 * floods its output cannot grow memory: when the file stream is backed up, entries are dropped and
 * counted, and the count is written once the stream drains.
 * @module
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { LogEntry } from '../process/log-buffer.js';
import { Ring } from '../process/log-buffer.js';

export interface PluginLogOptions {
  /** Rotate when the file reaches this size. Default 10 MiB. */
  maxFileBytes?: number;
  /** Rotated files kept. Default 5. */
  maxFiles?: number;
  /** Entries kept in memory. Default 1000. */
  tail?: number;
}

/** Buffered bytes past which entries are dropped instead of queued. */
const BACKLOG_LIMIT = 4 * 1024 * 1024;

export class PluginLog {
  readonly file: string;
  readonly #ring: Ring<LogEntry>;
  readonly #stream: RotatingFileStream;
  readonly #followers = new Set<(e: LogEntry) => void>();
  #dropped = 0;

  constructor(dir: string, name: string, options: PluginLogOptions = {}) {
    const fileName = `${name.replaceAll('/', '__')}.log`;
    this.file = join(dir, fileName);
    this.#ring = new Ring(options.tail ?? 1000);
    this.#stream = createStream(fileName, {
      path: dir,
      size: `${Math.max(1, Math.round((options.maxFileBytes ?? 10 * 1024 * 1024) / 1024))}K`,
      rotate: options.maxFiles ?? 5,
    });
    this.#stream.on('error', () => {}); // a full disk must not crash the host; the tail still works
    this.#stream.on('drain', () => {
      if (this.#dropped > 0) {
        const n = this.#dropped;
        this.#dropped = 0;
        this.append({
          time: Date.now(),
          source: 'host',
          level: 'warn',
          message: `${n} log lines dropped (output flood)`,
        });
      }
    });
  }

  append(entry: LogEntry): void {
    this.#ring.push(entry);
    for (const f of this.#followers) f(entry);
    if (this.#stream.writableLength > BACKLOG_LIMIT) {
      this.#dropped++;
      return;
    }
    this.#stream.write(`${JSON.stringify(entry)}\n`);
  }

  /** The newest `n` entries kept in memory, oldest first. */
  tail(n?: number): LogEntry[] {
    return this.#ring.last(n);
  }

  /** Calls `listener` for every new entry until the returned function is called. */
  follow(listener: (e: LogEntry) => void): () => void {
    this.#followers.add(listener);
    return () => this.#followers.delete(listener);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#stream.end(resolve));
  }
}

/**
 * The last `n` entries of a log file written by PluginLog (from a previous run, or another
 * process), reading only the end of the file.
 */
export function readLogTail(file: string, n: number): LogEntry[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = statSync(file).size;
    let chunk = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      const lines = buf.toString('utf8').split('\n').filter(Boolean);
      if (start > 0) lines.shift(); // probably cut in the middle
      if (lines.length >= n || start === 0) return parseLines(lines.slice(-n));
      chunk *= 4;
    }
  } finally {
    closeSync(fd);
  }
}

function parseLines(lines: string[]): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of lines) {
    try {
      out.push(JSON.parse(line) as LogEntry);
    } catch {
      out.push({ time: 0, source: 'host', level: 'info', message: line });
    }
  }
  return out;
}

const FOLLOW_QUEUE_LIMIT = 10_000;

/** The backlog, then every new entry of `log` until `signal` aborts; a slow reader loses the oldest, with a note. */
export async function* followLog(log: PluginLog, backlog: LogEntry[], signal?: AbortSignal): AsyncGenerator<LogEntry> {
  const queue: LogEntry[] = [...backlog];
  let wake: (() => void) | null = null;
  let dropped = 0;
  const stop = log.follow((e) => {
    // A reader slower than a flooding plugin loses the oldest entries, not the host's memory.
    if (queue.length >= FOLLOW_QUEUE_LIMIT) {
      queue.shift();
      dropped++;
    }
    queue.push(e);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (dropped > 0) {
        yield {
          time: Date.now(),
          source: 'host',
          level: 'warn',
          message: `${dropped} log entries skipped (reader too slow)`,
        };
        dropped = 0;
      }
      while (queue.length > 0) yield queue.shift() as LogEntry;
      if (signal?.aborted) return;
      await new Promise<void>((r) => {
        wake = r;
      });
      wake = null;
    }
  } finally {
    stop();
    signal?.removeEventListener('abort', onAbort);
  }
}
