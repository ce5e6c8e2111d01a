/**
 * Bringing the text-search indexes (schema version 2) up to date before a search. New jobs and
 * events are not indexed as they are written: an FTS5 table touched by a transaction writes a
 * segment at its commit, which doubled the cost of every submit (≈ +130 µs) for a search that
 * most hosts run rarely. Instead the next search indexes everything written since the last one,
 * in one transaction and one segment (≈ 1 µs a job), so a search still sees every committed job.
 * @module
 */
import type { DatabaseSync } from 'node:sqlite';
import { type Statement, typed } from './statements.js';

export interface SearchIndex {
  /** True if a job or event was written since the indexes last caught up. Read only, two index probes. */
  behind(): boolean;
  /** Indexes what `behind` found. Call inside a write transaction. */
  catchUp(): void;
}

export function searchIndex(db: DatabaseSync): SearchIndex {
  const behind: Statement<[], { behind: number }> = typed(
    db,
    `SELECT (SELECT coalesce(max(rowid), 0) FROM jobs) > jobs_upto
         OR (SELECT coalesce(max(seq), 0) FROM job_events) > events_upto AS behind
     FROM search_state`,
  );
  const jobs = typed<[]>(
    db,
    `INSERT INTO jobs_search (rowid, id, plugin, message)
       SELECT rowid, id, plugin, json_extract(error, '$.message') FROM jobs
       WHERE rowid > (SELECT jobs_upto FROM search_state)`,
  );
  const events = typed<[]>(
    db,
    `INSERT INTO job_events_search (rowid, detail)
       SELECT seq, detail FROM job_events
       WHERE seq > (SELECT events_upto FROM search_state) AND detail IS NOT NULL`,
  );
  const mark = typed<[]>(
    db,
    `UPDATE search_state SET jobs_upto = (SELECT coalesce(max(rowid), 0) FROM jobs),
       events_upto = (SELECT coalesce(max(seq), 0) FROM job_events)`,
  );
  return {
    behind: () => behind.get()?.behind === 1,
    catchUp: () => {
      jobs.run();
      events.run();
      mark.run();
    },
  };
}
