/**
 * Rows of the job database and the records they stand for. Inputs and results are BLOBs, which
 * node:sqlite binds from any Uint8Array and reads back as plain Uint8Arrays, handed on as they are;
 * error, progress and log data are JSON text.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { LogEntry } from '../../process/log-buffer.js';
import type { JobError, JobEvent, JobRecord, JobStatus } from '../job-store.js';

export interface JobRow {
  id: string;
  plugin: string;
  input: Uint8Array;
  status: JobStatus;
  priority: number;
  rank: number;
  idempotency_key: string | null;
  attempts: number;
  max_attempts: number;
  timeout_ms: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  result: Uint8Array | null;
  error: string | null;
  progress: string | null;
}

export interface EventRow {
  job_id: string;
  at: number;
  type: JobEvent['type'];
  attempt: number | null;
  detail: string | null;
}

export interface LogRow {
  time: number;
  source: LogEntry['source'];
  level: LogEntry['level'];
  message: string;
  call_id: number | null;
  data: string | null;
}

export function toJobRecord(row: JobRow, timeline: JobEvent[]): JobRecord {
  return {
    id: row.id,
    plugin: row.plugin,
    input: row.input,
    status: row.status,
    priority: row.priority,
    rank: row.rank,
    idempotencyKey: row.idempotency_key,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    result: row.result,
    error: row.error === null ? null : (JSON.parse(row.error) as JobError),
    progress: row.progress === null ? null : (JSON.parse(row.progress) as JobRecord['progress']),
    timeline,
  };
}

export function toJobEvent(row: EventRow): JobEvent {
  const event: JobEvent = { at: row.at, type: row.type };
  if (row.attempt !== null) event.attempt = row.attempt;
  if (row.detail !== null) event.detail = row.detail;
  return event;
}

export function toLogEntry(row: LogRow): LogEntry {
  const entry: LogEntry = { time: row.time, source: row.source, level: row.level, message: row.message };
  if (row.call_id !== null) entry.callId = row.call_id;
  if (row.data !== null) entry.data = JSON.parse(row.data);
  return entry;
}

/**
 * JSON text of `value` (`null` is stored as the text "null", so log data that was null reads back
 * as null, not as absent), or SQL NULL for undefined; ERR_SERIALIZE if JSON cannot hold it.
 */
export function jsonText(value: unknown, what: string): string | null {
  if (value === undefined) return null;
  try {
    return JSON.stringify(value) ?? null;
  } catch (e) {
    throw new BulkheadError('ERR_SERIALIZE', `${what} cannot be stored as JSON: ${(e as Error).message}`, undefined, {
      cause: e,
    });
  }
}
