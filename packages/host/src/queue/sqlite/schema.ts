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
  // 2: text search. Two FTS5 trigram indexes, so a substring search reads posting lists instead of
  // scanning every job: one row per job (rowid = jobs.rowid) over id, plugin and error message,
  // and one per timeline event with a detail (rowid = job_events.seq; events only ever append, so
  // they get rows of their own rather than re-indexing a job's text on each).
  //
  // New rows are indexed lazily, by the next search (search-index.ts), not by an insert trigger:
  // FTS5 writes a segment on every commit that touched it, which doubled the cost of a submit.
  // search_state says how far each index has caught up; a row above it is not indexed yet. The
  // triggers keep the indexed part true: a changed error, and deletes. A row's rowid may be given
  // again once it was the highest and is gone (SQLite hands out max + 1), so a delete that leaves
  // the mark above the highest remaining row lowers the mark, and the reused rowid is indexed anew.
  //
  // jobs has no INTEGER PRIMARY KEY, so its rowid is stable only while nobody VACUUMs the file
  // (the store never does); a renumbered rowid would hide a job from search, never show a wrong one
  // (every candidate is checked by the LIKE, list-query.ts).
  `
  CREATE VIRTUAL TABLE jobs_search USING fts5 (id, plugin, message, tokenize = 'trigram');
  CREATE VIRTUAL TABLE job_events_search USING fts5 (detail, tokenize = 'trigram');
  CREATE TABLE search_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    jobs_upto   INTEGER NOT NULL,  -- jobs with rowid <= this are in jobs_search
    events_upto INTEGER NOT NULL   -- events with seq <= this (and a detail) are in job_events_search
  );

  -- The history already there, indexed once, here.
  INSERT INTO jobs_search (rowid, id, plugin, message)
    SELECT rowid, id, plugin, json_extract(error, '$.message') FROM jobs;
  INSERT INTO job_events_search (rowid, detail)
    SELECT seq, detail FROM job_events WHERE detail IS NOT NULL;
  INSERT INTO search_state VALUES (1,
    (SELECT coalesce(max(rowid), 0) FROM jobs), (SELECT coalesce(max(seq), 0) FROM job_events));

  -- id and plugin never change; a new error (or its clearing on retry) re-indexes the row.
  CREATE TRIGGER jobs_search_error AFTER UPDATE OF error ON jobs
    WHEN old.error IS NOT new.error AND new.rowid <= (SELECT jobs_upto FROM search_state) BEGIN
    UPDATE jobs_search SET message = json_extract(new.error, '$.message') WHERE rowid = new.rowid;
  END;
  CREATE TRIGGER jobs_search_delete AFTER DELETE ON jobs
    WHEN old.rowid <= (SELECT jobs_upto FROM search_state) BEGIN
    DELETE FROM jobs_search WHERE rowid = old.rowid;
    UPDATE search_state SET jobs_upto = (SELECT coalesce(max(rowid), 0) FROM jobs)
      WHERE jobs_upto > (SELECT coalesce(max(rowid), 0) FROM jobs);
  END;
  -- Events go only with their job (ON DELETE CASCADE), which fires these too.
  CREATE TRIGGER job_events_search_delete AFTER DELETE ON job_events
    WHEN old.detail IS NOT NULL AND old.seq <= (SELECT events_upto FROM search_state) BEGIN
    DELETE FROM job_events_search WHERE rowid = old.seq;
  END;
  CREATE TRIGGER job_events_search_mark AFTER DELETE ON job_events
    WHEN old.seq > (SELECT coalesce(max(seq), 0) FROM job_events)
      AND old.seq <= (SELECT events_upto FROM search_state) BEGIN
    UPDATE search_state SET events_upto = (SELECT coalesce(max(seq), 0) FROM job_events);
  END;
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

/** Applies the migrations after `from`, up to `to` (tests build older files with it). Call inside a write transaction. */
export function migrate(db: DatabaseSync, from: number, to = MIGRATIONS.length): void {
  for (let v = from; v < to; v++) {
    db.exec(MIGRATIONS[v]!);
    db.exec(`PRAGMA user_version = ${v + 1}`);
  }
}
