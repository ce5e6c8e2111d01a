/**
 * The job store's fixed statements, prepared once per connection: preparing costs more than
 * running a small statement, and inserts must stay near one fsync each.
 * @module
 */
import type { DatabaseSync } from 'node:sqlite';
import type { EventRow, JobRow, LogRow } from './job-rows.js';

/**
 * A prepared statement typed by its parameters and rows. node:sqlite's own type knows neither
 * (rows are records of SQL values), so the cast in `typed` is where each statement's row shape is
 * asserted, once, next to its SQL.
 */
export interface Statement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): { changes: number | bigint };
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

/** `db.prepare(sql)`, typed. */
export function typed<P extends unknown[] = unknown[], R = unknown>(db: DatabaseSync, sql: string): Statement<P, R> {
  return db.prepare(sql) as unknown as Statement<P, R>;
}

const TERMINAL = "('completed', 'failed', 'cancelled')";

export interface Statements {
  maxPendingRank: Statement<[], { rank: number | null }>;
  byKey: Statement<[string], JobRow>;
  insert: Statement<
    [
      id: string,
      plugin: string,
      input: Uint8Array,
      priority: number,
      rank: number,
      idempotencyKey: string | null,
      maxAttempts: number,
      timeoutMs: number | null,
      createdAt: number,
    ]
  >;
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

export function prepareStatements(db: DatabaseSync): Statements {
  return {
    maxPendingRank: typed<[], { rank: number | null }>(
      db,
      // INDEXED BY: the planner would otherwise walk jobs_run_order over every pending job.
      "SELECT max(rank) AS rank FROM jobs INDEXED BY jobs_pending_rank WHERE status = 'pending'",
    ),
    byKey: typed<[string], JobRow>(db, 'SELECT * FROM jobs WHERE idempotency_key = ?'),
    // Positional parameters: node:sqlite looks each named one up by name on every run (~5 µs a row).
    insert: typed(
      db,
      `INSERT INTO jobs (id, plugin, input, status, priority, rank, idempotency_key, attempts, max_attempts,
         timeout_ms, created_at)
       VALUES (?, ?, ?, 'pending', ?, ?, ?, 0, ?, ?, ?)`,
    ),
    get: typed<[string], JobRow>(db, 'SELECT * FROM jobs WHERE id = ?'),
    exists: typed<[string], { found: 1 }>(db, 'SELECT 1 AS found FROM jobs WHERE id = ?'),
    pending: typed<[number], JobRow>(
      db,
      "SELECT * FROM jobs WHERE status = 'pending' ORDER BY priority DESC, rank LIMIT ?",
    ),
    running: typed<[], JobRow>(db, "SELECT * FROM jobs WHERE status = 'running' ORDER BY started_at, id"),
    events: typed<[string], EventRow>(
      db,
      'SELECT job_id, at, type, attempt, detail FROM job_events WHERE job_id = ? ORDER BY seq',
    ),
    eventsOf: typed<[string], EventRow>(
      db,
      `SELECT job_id, at, type, attempt, detail FROM job_events
       WHERE job_id IN (SELECT value FROM json_each(?)) ORDER BY seq`,
    ),
    appendEvent: typed<[string, number, string, number | null, string | null]>(
      db,
      'INSERT INTO job_events (job_id, at, type, attempt, detail) VALUES (?, ?, ?, ?, ?)',
    ),
    lastLogSeq: typed<[string], { seq: number | null }>(db, 'SELECT max(seq) AS seq FROM job_logs WHERE job_id = ?'),
    appendLog: typed<[string, number, number, string, string, string, number | null, string | null]>(
      db,
      `INSERT INTO job_logs (job_id, seq, time, source, level, message, call_id, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    dropLogs: typed<[string, number]>(db, 'DELETE FROM job_logs WHERE job_id = ? AND seq <= ?'),
    logs: typed<[string, number], LogRow>(
      db,
      `SELECT time, source, level, message, call_id, data FROM
         (SELECT * FROM job_logs WHERE job_id = ? ORDER BY seq DESC LIMIT ?)
       ORDER BY seq`,
    ),
    // INDEXED BY: without statistics (a new file) the planner would walk every finished job via
    // jobs_run_order, where the retention index reaches just the ones to delete.
    pruneOlder: typed<[number]>(
      db,
      `DELETE FROM jobs INDEXED BY jobs_finished
       WHERE status IN ${TERMINAL} AND coalesce(finished_at, created_at) < ?`,
    ),
    idRange: typed<[string, string, number], { id: string }>(
      db,
      'SELECT id FROM jobs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?',
    ),
    pruneBeyond: typed<[number]>(
      db,
      `DELETE FROM jobs WHERE rowid IN (
         SELECT rowid FROM jobs INDEXED BY jobs_finished WHERE status IN ${TERMINAL}
         ORDER BY coalesce(finished_at, created_at) DESC, rowid DESC LIMIT -1 OFFSET ?)`,
    ),
  };
}
