/**
 * The job store's fixed statements, prepared once per connection: preparing costs more than
 * running a small statement, and inserts must stay near one fsync each.
 * @module
 */
import type { Database, Statement } from 'better-sqlite3';
import type { EventRow, JobRow, LogRow } from './job-rows.js';

const TERMINAL = "('completed', 'failed', 'cancelled')";

export interface Statements {
  maxPendingRank: Statement<[], { rank: number | null }>;
  byKey: Statement<[string], JobRow>;
  insert: Statement<[Record<string, unknown>]>;
  get: Statement<[string], JobRow>;
  exists: Statement<[string], { found: 1 }>;
  pending: Statement<[number], JobRow>;
  running: Statement<[], JobRow>;
  events: Statement<[string], EventRow>;
  eventsOf: Statement<[string], EventRow>;
  appendEvent: Statement<[string, number, string, number | null, string | null]>;
  lastLogSeq: Statement<[string], { seq: number | null }>;
  appendLog: Statement<[string, number, number, string, string, string, number | null, string | null]>;
  dropLogs: Statement<[string, number]>;
  logs: Statement<[string, number], LogRow>;
  pruneOlder: Statement<[number]>;
  pruneBeyond: Statement<[number]>;
  idRange: Statement<[string, string, number], { id: string }>;
}

export function prepareStatements(db: Database): Statements {
  return {
    maxPendingRank: db.prepare<[], { rank: number | null }>(
      // INDEXED BY: the planner would otherwise walk jobs_run_order over every pending job.
      "SELECT max(rank) AS rank FROM jobs INDEXED BY jobs_pending_rank WHERE status = 'pending'",
    ),
    byKey: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE idempotency_key = ?'),
    insert: db.prepare<[Record<string, unknown>]>(
      `INSERT INTO jobs (id, plugin, input, status, priority, rank, idempotency_key, attempts, max_attempts,
         timeout_ms, created_at)
       VALUES (@id, @plugin, @input, 'pending', @priority, @rank, @idempotencyKey, 0, @maxAttempts, @timeoutMs,
         @createdAt)`,
    ),
    get: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
    exists: db.prepare<[string], { found: 1 }>('SELECT 1 AS found FROM jobs WHERE id = ?'),
    pending: db.prepare<[number], JobRow>(
      "SELECT * FROM jobs WHERE status = 'pending' ORDER BY priority DESC, rank LIMIT ?",
    ),
    running: db.prepare<[], JobRow>("SELECT * FROM jobs WHERE status = 'running' ORDER BY started_at, id"),
    events: db.prepare<[string], EventRow>(
      'SELECT job_id, at, type, attempt, detail FROM job_events WHERE job_id = ? ORDER BY seq',
    ),
    eventsOf: db.prepare<[string], EventRow>(
      `SELECT job_id, at, type, attempt, detail FROM job_events
       WHERE job_id IN (SELECT value FROM json_each(?)) ORDER BY seq`,
    ),
    appendEvent: db.prepare<[string, number, string, number | null, string | null]>(
      'INSERT INTO job_events (job_id, at, type, attempt, detail) VALUES (?, ?, ?, ?, ?)',
    ),
    lastLogSeq: db.prepare<[string], { seq: number | null }>('SELECT max(seq) AS seq FROM job_logs WHERE job_id = ?'),
    appendLog: db.prepare<[string, number, number, string, string, string, number | null, string | null]>(
      `INSERT INTO job_logs (job_id, seq, time, source, level, message, call_id, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    dropLogs: db.prepare<[string, number]>('DELETE FROM job_logs WHERE job_id = ? AND seq <= ?'),
    logs: db.prepare<[string, number], LogRow>(
      `SELECT time, source, level, message, call_id, data FROM
         (SELECT * FROM job_logs WHERE job_id = ? ORDER BY seq DESC LIMIT ?)
       ORDER BY seq`,
    ),
    // INDEXED BY: without statistics (a new file) the planner would walk every finished job via
    // jobs_run_order, where the retention index reaches just the ones to delete.
    pruneOlder: db.prepare<[number]>(
      `DELETE FROM jobs INDEXED BY jobs_finished
       WHERE status IN ${TERMINAL} AND coalesce(finished_at, created_at) < ?`,
    ),
    idRange: db.prepare<[string, string, number], { id: string }>(
      'SELECT id FROM jobs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?',
    ),
    pruneBeyond: db.prepare<[number]>(
      `DELETE FROM jobs WHERE rowid IN (
         SELECT rowid FROM jobs INDEXED BY jobs_finished WHERE status IN ${TERMINAL}
         ORDER BY coalesce(finished_at, created_at) DESC, rowid DESC LIMIT -1 OFFSET ?)`,
    ),
  };
}
