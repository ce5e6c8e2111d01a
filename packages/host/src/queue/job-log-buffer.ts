/**
 * Per-job log lines waiting to be written: batched (a flood must not cost a write per line) and
 * bounded (past `limit` unwritten lines a job's lines are counted, not kept, and the count is
 * written as one line).
 * @module
 */
import type { LogEntry } from '../process/log-buffer.js';
import type { StoreOp } from './job-store.js';

export class JobLogBuffer {
  readonly #limit: number;
  readonly #lines = new Map<string, LogEntry[]>();
  readonly #dropped = new Map<string, number>();

  constructor(limit = 1000) {
    this.#limit = limit;
  }

  add(id: string, entry: LogEntry): void {
    const lines = this.#lines.get(id) ?? [];
    if (lines.length >= this.#limit) {
      this.#dropped.set(id, (this.#dropped.get(id) ?? 0) + 1);
      return;
    }
    lines.push(entry);
    this.#lines.set(id, lines);
  }

  /** Takes the buffered lines (of one job, or all) as store ops, and empties the buffer. */
  take(only?: string): StoreOp[] {
    const ops: StoreOp[] = [];
    for (const id of only === undefined ? [...this.#lines.keys()] : [only]) {
      const entries = this.#lines.get(id);
      if (!entries || entries.length === 0) continue;
      this.#lines.delete(id);
      const dropped = this.#dropped.get(id);
      if (dropped) {
        this.#dropped.delete(id);
        entries.push({
          time: Date.now(),
          source: 'host',
          level: 'warn',
          message: `${dropped} log lines dropped (output flood)`,
        });
      }
      ops.push({ op: 'logs', id, entries });
    }
    return ops;
  }
}
