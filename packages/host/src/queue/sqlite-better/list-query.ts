/**
 * The SQL behind `list(filter)`: newest first on (created_at desc, id desc), paged by keyset
 * rather than OFFSET, so a page costs the same at the end of a long history as at its start and
 * jobs inserted meanwhile neither repeat nor skip rows. The cursor is the last row's key, opaque
 * (base64url JSON) so that callers cannot come to depend on its form.
 * @module
 */
import type { JobFilter, JobStatus } from '../job-store.js';
import { invalidArgument } from './store-error.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface ListQuery {
  sql: string;
  params: Record<string, string | number>;
  limit: number;
}

/** A SELECT of job rows for one page; it asks for `limit + 1` rows to learn if another follows. */
export function listQuery(filter: JobFilter): ListQuery {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  const statuses = filter.status === undefined ? [] : [filter.status].flat();
  if (filter.status !== undefined) {
    where.push(`status IN (${statuses.map((_, i) => `@status${i}`).join(', ')})`);
    statuses.forEach((s: JobStatus, i) => {
      params[`status${i}`] = s;
    });
  }
  if (filter.plugin !== undefined) {
    where.push('plugin = @plugin');
    params.plugin = filter.plugin;
  }
  if (filter.since !== undefined) {
    where.push('created_at >= @since');
    params.since = finite(filter.since, 'since');
  }
  if (filter.until !== undefined) {
    where.push('created_at < @until');
    params.until = finite(filter.until, 'until');
  }
  if (filter.text !== undefined && filter.text !== '') {
    // LIKE folds ASCII case only; good enough for ids, plugin names and most messages.
    const like = "LIKE @text ESCAPE '\\'";
    where.push(
      `(id ${like} OR plugin ${like} OR json_extract(error, '$.message') ${like}` +
        ` OR EXISTS (SELECT 1 FROM job_events e WHERE e.job_id = jobs.id AND e.detail ${like}))`,
    );
    params.text = `%${filter.text.replace(/[\\%_]/g, '\\$&')}%`;
  }
  if (filter.cursor !== undefined) {
    const [createdAt, id] = decodeCursor(filter.cursor);
    where.push('(created_at < @cursorAt OR (created_at = @cursorAt AND id < @cursorId))');
    params.cursorAt = createdAt;
    params.cursorId = id;
  }
  const limit = pageSize(filter.limit);
  params.limit = limit + 1;
  const sql =
    'SELECT * FROM jobs' +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ' ORDER BY created_at DESC, id DESC LIMIT @limit';
  return { sql, params, limit };
}

export function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') {
      return [value[0], value[1]];
    }
  } catch {
    // fall through
  }
  throw invalidArgument(`invalid list cursor ${JSON.stringify(cursor)}`);
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isFinite(limit) || limit < 1) {
    throw invalidArgument(`list limit must be a positive number, got ${limit}`);
  }
  return Math.min(MAX_PAGE_SIZE, Math.floor(limit));
}

function finite(value: number, name: string): number {
  if (!Number.isFinite(value)) {
    throw invalidArgument(`list ${name} must be a finite number, got ${value}`);
  }
  return value;
}
