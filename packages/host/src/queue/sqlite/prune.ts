/**
 * Retention: finished jobs beyond a count, an age or a total size of values (newest kept), of all
 * finished statuses or of the ones named. Sizes count a value kept as a file by its file's size.
 * @module
 */
import type { DatabaseSync } from 'node:sqlite';
import type { JobStatus, RetentionPolicy } from '../job-store.js';
import type { Statements } from './statements.js';
import { count, invalidArgument } from './store-error.js';

const TERMINAL: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * A value's size as retention counts it: its bytes here, or for one the queue keeps as a file
 * beside the database (a stub: 0xff 'BHF' then JSON, see queue/value-files.ts) the file's size.
 */
const STORED_SIZE = (column: string) =>
  `CASE WHEN substr(${column}, 1, 4) = X'FF424846' THEN json_extract(CAST(substr(${column}, 5) AS TEXT), '$.bytes') ELSE length(${column}) END`;

export interface RetentionPlan {
  maxCount: number | undefined;
  maxAgeMs: number | undefined;
  maxBytes: number | undefined;
  /** The statuses to prune, or null for every finished one. */
  only: JobStatus[] | null;
}

/** The policy checked (ERR_INVALID_ARGUMENT); null when it can remove nothing (no status listed). */
export function retentionPlan(policy: RetentionPolicy): RetentionPlan | null {
  const maxCount = policy.maxCount === undefined ? undefined : count(policy.maxCount, 'maxCount');
  const maxAgeMs = policy.maxAgeMs === undefined ? undefined : count(policy.maxAgeMs, 'maxAgeMs');
  const maxBytes = policy.maxBytes === undefined ? undefined : count(policy.maxBytes, 'maxBytes');
  const status = policy.status;
  if (status !== undefined && (!Array.isArray(status) || status.some((s) => !TERMINAL.includes(s)))) {
    throw invalidArgument(`status must list finished statuses (${TERMINAL.join(', ')})`);
  }
  if (status !== undefined && status.length === 0) return null;
  return { maxCount, maxAgeMs, maxBytes, only: status === undefined ? null : [...new Set(status)] };
}

/** Deletes what the plan says, inside the caller's write transaction; returns how many jobs went. */
export function pruneJobs(
  db: DatabaseSync,
  sql: Pick<Statements, 'pruneOlder' | 'pruneBeyond'>,
  plan: RetentionPlan,
  now: number,
): number {
  const { maxCount, maxAgeMs, maxBytes, only } = plan;
  let n = 0;
  if (only === null) {
    if (maxAgeMs !== undefined) n += Number(sql.pruneOlder.run(now - maxAgeMs).changes);
    if (maxCount !== undefined) n += Number(sql.pruneBeyond.run(maxCount).changes);
  } else {
    // Rare (a user's `jobs prune --status`): prepared per call, by the statuses given.
    const ofStatus = `status IN (${only.map(() => '?').join(', ')})`;
    if (maxAgeMs !== undefined) {
      n += db
        .prepare(`DELETE FROM jobs WHERE ${ofStatus} AND coalesce(finished_at, created_at) < ?`)
        .run(...only, now - maxAgeMs).changes as number;
    }
    if (maxCount !== undefined) {
      n += db
        .prepare(
          `DELETE FROM jobs WHERE rowid IN (SELECT rowid FROM jobs WHERE ${ofStatus}
           ORDER BY coalesce(finished_at, created_at) DESC, rowid DESC LIMIT -1 OFFSET ?)`,
        )
        .run(...only, maxCount).changes as number;
    }
  }
  if (maxBytes !== undefined) {
    const of =
      only === null
        ? "status IN ('completed', 'failed', 'cancelled')"
        : `status IN (${only.map(() => '?').join(', ')})`;
    n += db
      .prepare(
        `DELETE FROM jobs WHERE rowid IN (SELECT rowid FROM (
           SELECT rowid, sum(${STORED_SIZE('input')} + coalesce(${STORED_SIZE('result')}, 0))
             OVER (ORDER BY coalesce(finished_at, created_at) DESC, rowid DESC) AS total
           FROM jobs WHERE ${of}) WHERE total > ?)`,
      )
      .run(...(only ?? []), maxBytes).changes as number;
  }
  return n;
}
