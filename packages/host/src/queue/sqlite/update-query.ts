/**
 * The SQL of `update(id, patch, ifStatus)`: one `UPDATE … WHERE id = ? AND status IN (…)
 * RETURNING *`, so the status test and the write are one atomic step (no read-then-write race
 * between, say, a cancel and a job starting). Its shape depends on which fields the patch sets.
 * @module
 */
import type { JobPatch, JobStatus } from '../job-store.js';
import { jsonText } from './job-rows.js';
import { invalidArgument } from './store-error.js';

/** Patchable fields and their columns. */
const COLUMNS: Record<keyof JobPatch, string> = {
  status: 'status',
  priority: 'priority',
  rank: 'rank',
  attempts: 'attempts',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  result: 'result',
  error: 'error',
  progress: 'progress',
};

export interface UpdateQuery {
  sql: string;
  params: unknown[];
}

/**
 * Checks and encodes a patch into its statement; throws ERR_INVALID_ARGUMENT for a field that is
 * not patchable (passing a whole JobRecord, say) rather than ignore it. Fields set to undefined
 * are left alone. `ifStatus: []` matches no job: the caller should not run the query.
 */
export function updateQuery(id: string, patch: JobPatch, ifStatus: readonly JobStatus[] | undefined): UpdateQuery {
  if (typeof patch !== 'object' || patch === null) throw invalidArgument('an update patch must be an object');
  const sets: string[] = [];
  const params: unknown[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(COLUMNS, key)) throw invalidArgument(`update cannot set ${JSON.stringify(key)}`);
    sets.push(`${COLUMNS[key as keyof JobPatch]} = ?`);
    params.push(encode(key as keyof JobPatch, value));
  }
  params.push(id);
  let where = 'id = ?';
  if (ifStatus !== undefined) {
    where += ` AND status IN (${ifStatus.map(() => '?').join(', ')})`;
    params.push(...ifStatus);
  }
  const sql =
    sets.length === 0
      ? `SELECT * FROM jobs WHERE ${where}`
      : `UPDATE jobs SET ${sets.join(', ')} WHERE ${where} RETURNING *`;
  return { sql, params };
}

function encode(key: keyof JobPatch, value: unknown): unknown {
  switch (key) {
    case 'result':
      if (value === null) return null;
      if (!(value instanceof Uint8Array)) throw invalidArgument('result must be a Uint8Array or null');
      return value; // bound as a BLOB
    case 'error':
    case 'progress':
      return value === null ? null : jsonText(value, key);
    default:
      return value;
  }
}
