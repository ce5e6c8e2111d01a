/**
 * What a worker says besides its answers: its stdout and stderr lines and its `ctx.log` entries,
 * kept in one bounded log that spans restarts, and the current worker's stderr tail and exit notes
 * (how it died), which start afresh with each worker.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { ExitNotes } from './exit-summary.js';
import { type LogEntry, type LogLevel, Ring, splitLines } from './log-buffer.js';

/** Lines of stderr an exit error quotes. */
const STDERR_TAIL = 20;

export class WorkerOutput {
  readonly #logs: Ring<LogEntry>;
  readonly #maxLineLength: number;
  readonly #onEntry: (entry: LogEntry) => void;
  #stderr = new Ring<string>(STDERR_TAIL);
  #notes = new ExitNotes();

  /** `onEntry` sees every entry once it is kept (the call's onLog, the 'log' event). */
  constructor(o: { lines: number; maxLineLength: number; onEntry: (entry: LogEntry) => void }) {
    this.#logs = new Ring(o.lines);
    this.#maxLineLength = o.maxLineLength;
    this.#onEntry = o.onEntry;
  }

  /** A new worker: its stderr tail and exit notes are its own; the log goes on. */
  reset(): void {
    this.#stderr = new Ring<string>(STDERR_TAIL);
    this.#notes = new ExitNotes();
  }

  /** Reads the worker's stdout and stderr line by line (each line cut at the maximum length). */
  read(child: ChildProcess): void {
    splitLines(child.stdout as Readable, this.#maxLineLength, (line) => this.log('stdout', 'info', line));
    splitLines(child.stderr as Readable, this.#maxLineLength, (line) => {
      this.#stderr.push(line);
      this.#notes.see(line);
      this.log('stderr', 'error', line);
    });
  }

  log(source: LogEntry['source'], level: LogLevel, message: string, callId?: number, data?: unknown): void {
    const entry: LogEntry = { time: Date.now(), source, level, message };
    if (callId !== undefined) entry.callId = callId;
    if (data !== undefined) entry.data = data;
    this.#logs.push(entry);
    this.#onEntry(entry);
  }

  /** The newest log entries (all kept ones by default), oldest first. */
  logs(limit?: number): LogEntry[] {
    return this.#logs.last(limit);
  }

  /** The current worker's last stderr lines. */
  stderrTail(): string[] {
    return this.#stderr.last();
  }

  /** What the current worker's stderr said about how it died (an OOM, an uncaught error). */
  get exitNotes(): ExitNotes {
    return this.#notes;
  }
}
