/**
 * The job database's schema, versioned with SQLite's `user_version` pragma. Each migration takes
 * the database from version i to i + 1; a database is brought up to date inside the transaction
 * that takes ownership of it, so a half-migrated file cannot be seen by anyone.
 *
 * Never edit a migration that has shipped: add the next one.
 * @module
 */
import type { DatabaseSync } from 'node:sqlite';

const MIGRATIONS: readonly string[] = [
  // 1: jobs, their timeline and logs, and the owner row.
  `
  CREATE TABLE jobs (
    id              TEXT PRIMARY KEY NOT NULL,
    plugin          TEXT NOT NULL,
    input           BLOB NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    priority        REAL NOT NULL,
    rank            REAL NOT NULL,
    idempotency_key TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    timeout_ms      INTEGER,
    created_at      INTEGER NOT NULL,
    started_at      INTEGER,
    finished_at     INTEGER,
    result          BLOB,
    error           TEXT,    -- JSON
    progress        TEXT     -- JSON
  );
  -- Run order of pending jobs; also serves running() and status filters.
  CREATE INDEX jobs_run_order ON jobs (status, priority DESC, rank);
  -- "Max rank of pending" in O(log n): jobs_run_order would have to visit every pending job.
  CREATE INDEX jobs_pending_rank ON jobs (rank) WHERE status = 'pending';
  CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
  -- Listing, newest first, with keyset pagination.
  CREATE INDEX jobs_created ON jobs (created_at, id);
  -- Retention. A finished job should have finished_at; one that lacks it ages from created_at.
  CREATE INDEX jobs_finished ON jobs (coalesce(finished_at, created_at))
    WHERE status IN ('completed', 'failed', 'cancelled');

  CREATE TABLE job_events (
    seq     INTEGER PRIMARY KEY,
    job_id  TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,
    type    TEXT NOT NULL,
    attempt INTEGER,
    detail  TEXT
  );
  CREATE INDEX job_events_job ON job_events (job_id, seq);

  -- seq counts per job (1, 2, …), so capping a job's logs deletes by one index range.
  CREATE TABLE job_logs (
    job_id  TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    time    INTEGER NOT NULL,
    source  TEXT NOT NULL,
    level   TEXT NOT NULL,
    message TEXT NOT NULL,
    call_id INTEGER,
    data    TEXT,            -- JSON
    PRIMARY KEY (job_id, seq)
  );

  -- The one live host serving this file (see owner-lock.ts).
  CREATE TABLE owner (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    pid        INTEGER NOT NULL,
    hostname   TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    boot_id    TEXT,
    proc_start TEXT
  );
  `,
];

/** The version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The database's schema version (0: empty or not ours). */
export function schemaVersion(db: DatabaseSync): number {
  return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
}

/** True if the database holds tables (so version 0 means "someone else's database", not "new"). */
export function hasTables(db: DatabaseSync): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' LIMIT 1").get() !== undefined;
}

/** Applies the migrations after `from`. Call inside a write transaction. */
export function migrate(db: DatabaseSync, from: number): void {
  for (let v = from; v < MIGRATIONS.length; v++) {
    db.exec(MIGRATIONS[v]!);
    db.exec(`PRAGMA user_version = ${v + 1}`);
  }
}
