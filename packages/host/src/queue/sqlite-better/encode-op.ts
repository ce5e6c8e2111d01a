/**
 * Writes checked and encoded before their transaction begins, so a bad op in a group commit (or a
 * bad job in an insert) rejects the batch before anything is written, and the transaction holds
 * the write lock only for the SQL itself.
 * @module
 */
import type { NewJob, StoreOp } from '../job-store.js';
import { jsonText } from './job-rows.js';
import { invalidArgument } from './store-error.js';
import { type UpdateQuery, updateQuery } from './update-query.js';

/** A checked, encoded write, ready to run inside a transaction. */
export type Write =
  | { op: 'update'; id: string; query: UpdateQuery | null }
  | { op: 'event'; id: string; event: EventParams }
  | { op: 'logs'; id: string; entries: LogParams[] };
type EventParams = [at: number, type: string, attempt: number | null, detail: string | null];
type LogParams = [
  time: number,
  source: string,
  level: string,
  message: string,
  callId: number | null,
  data: string | null,
];

/** Checks and encodes one op, outside any transaction. */
export function encodeOp(op: StoreOp): Write {
  if (typeof op?.id !== 'string') throw invalidArgument('a store op needs a string id');
  switch (op.op) {
    case 'update': {
      const statuses = op.ifStatus;
      return { op: 'update', id: op.id, query: statuses?.length === 0 ? null : updateQuery(op.id, op.patch, statuses) };
    }
    case 'event': {
      const e = op.event;
      if (!Number.isFinite(e?.at) || typeof e.type !== 'string') {
        throw invalidArgument('an event needs a finite `at` and a `type`');
      }
      return { op: 'event', id: op.id, event: [e.at, e.type, e.attempt ?? null, e.detail ?? null] };
    }
    case 'logs': {
      if (!Array.isArray(op.entries)) throw invalidArgument('logs takes an array of entries');
      const entries = op.entries.map((e): LogParams => {
        if (!Number.isFinite(e?.time) || typeof e.message !== 'string') {
          throw invalidArgument('a log entry needs a finite `time` and a string `message`');
        }
        return [e.time, e.source, e.level, e.message, e.callId ?? null, jsonText(e.data, 'log data')];
      });
      return { op: 'logs', id: op.id, entries };
    }
    default:
      throw invalidArgument(`unknown store op ${JSON.stringify((op as { op?: unknown }).op)}`);
  }
}

/** Checks a new job's fields, so that no batch is half-inserted over a type mistake. */
export function checkNewJob(job: NewJob): void {
  if (typeof job?.id !== 'string' || job.id === '') throw invalidArgument('a job needs a non-empty string id');
  if (typeof job.plugin !== 'string') throw invalidArgument(`job ${job.id}: plugin must be a string`);
  if (!(job.input instanceof Uint8Array)) throw invalidArgument(`job ${job.id}: input must be a Uint8Array`);
  for (const key of ['priority', 'maxAttempts', 'createdAt'] as const) {
    if (!Number.isFinite(job[key])) throw invalidArgument(`job ${job.id}: ${key} must be a finite number`);
  }
}
