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

type Params = Record<string, string | number>;

/** One statement and its parameters (node:sqlite refuses named parameters a statement lacks). */
export interface Select {
  sql: string;
  params: Params;
}

export interface ListQuery extends Select {
  limit: number;
  /** True if `sql` reads the text-search indexes (which must be caught up first: search-index.ts). */
  text: boolean;
  /**
   * For a text search through the trigram indexes, which are quick for a needle with few
   * candidates and slow for one that matches most jobs (listing 100,000 candidate rowids costs
   * ~100 ms, where walking newest first stops after one page). `count` counts candidates up to
   * MANY_CANDIDATES (a capped count stays cheap); at the cap, `probe` is tried first: it checks
   * only the newest probeWindow(limit) jobs of the other filters, and if that yields a full page
   * (limit + 1 rows) the page is exact, since those are the newest matches. Otherwise `sql` runs.
   */
  count?: Select;
  probe?: Select;
}

/** Candidates from which the index may be slower than the probe (≈ 1 µs each against ≈ 2 µs a probed row). */
export const MANY_CANDIDATES = 2000;

/**
 * Rows the probe looks at (at least 10 per row of the page): a needle in more than about one job
 * in 10 fills a page within them. Its LIKE costs ~1–2 µs a row, most of it the timeline lookup.
 */
const PROBE_WINDOW = 1000;
const probeWindow = (limit: number) => Math.max(PROBE_WINDOW, 10 * (limit + 1));

const ORDER = ' ORDER BY created_at DESC, id DESC LIMIT @limit';

/** A SELECT of job rows for one page; it asks for `limit + 1` rows to learn if another follows. */
export function listQuery(filter: JobFilter): ListQuery {
  const where: string[] = [];
  const params: Params = {};
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
  if (filter.cursor !== undefined) {
    const [createdAt, id] = decodeCursor(filter.cursor);
    where.push('(created_at < @cursorAt OR (created_at = @cursorAt AND id < @cursorId))');
    params.cursorAt = createdAt;
    params.cursorId = id;
  }
  const limit = pageSize(filter.limit);
  params.limit = limit + 1;
  const text = filter.text === undefined || filter.text === '' ? undefined : textSearch(filter.text);
  if (text === undefined) return { sql: `SELECT * FROM jobs${whereClause(where)}${ORDER}`, params, limit, text: false };
  const textParams = { ...params, text: text.like };
  if (text.phrase === undefined) {
    return {
      sql: `SELECT * FROM jobs${whereClause([...where, text.matches])}${ORDER}`,
      params: textParams,
      limit,
      text: false,
    };
  }
  return {
    sql: `SELECT * FROM jobs${whereClause([...where, text.candidates, text.matches])}${ORDER}`,
    params: { ...textParams, phrase: text.phrase },
    limit,
    text: true,
    count: {
      sql:
        `SELECT (SELECT count(*) FROM (SELECT 1 FROM jobs_search WHERE jobs_search MATCH @phrase LIMIT ${MANY_CANDIDATES}))` +
        ` + (SELECT count(*) FROM (SELECT 1 FROM job_events_search WHERE job_events_search MATCH @phrase` +
        ` LIMIT ${MANY_CANDIDATES})) AS n`,
      params: { phrase: text.phrase },
    },
    probe: {
      sql:
        `SELECT * FROM jobs WHERE rowid IN (SELECT rowid FROM jobs${whereClause(where)}` +
        ` ORDER BY created_at DESC, id DESC LIMIT ${probeWindow(limit)}) AND ${text.matches}${ORDER}`,
      params: textParams,
    },
  };
}

function whereClause(where: string[]): string {
  return where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
}

interface TextSearch {
  /** The LIKE pattern (@text). */
  like: string;
  /** The condition that defines a match. */
  matches: string;
  /** The FTS5 phrase (@phrase), when the needle is long enough for trigrams. */
  phrase?: string;
  /** The condition that finds candidates through the trigram indexes. */
  candidates: string;
}

/**
 * Substring search, ignoring ASCII case, over id, plugin, error message and timeline details.
 * The LIKE is the meaning; the trigram indexes (schema version 2) find its candidates so that it
 * runs on a few rows instead of all of them. They fold case more widely (Unicode), so they can
 * only over-select, which the LIKE then removes. A needle under 3 characters has no trigram to
 * look up (MATCH would find nothing), so it scans, as version 1 always did: such a needle
 * matches most jobs, and the newest-first walk stops after one page.
 */
function textSearch(text: string): TextSearch {
  const like = "LIKE @text ESCAPE '\\'";
  // LIKE folds ASCII case only; good enough for ids, plugin names and most messages.
  const matches =
    `(id ${like} OR plugin ${like} OR json_extract(error, '$.message') ${like}` +
    ` OR EXISTS (SELECT 1 FROM job_events e WHERE e.job_id = jobs.id AND e.detail ${like}))`;
  const candidates =
    '(rowid IN (SELECT rowid FROM jobs_search WHERE jobs_search MATCH @phrase)' +
    ' OR id IN (SELECT e.job_id FROM job_events e WHERE e.seq IN' +
    ' (SELECT rowid FROM job_events_search WHERE job_events_search MATCH @phrase)))';
  const search: TextSearch = { like: `%${text.replace(/[\\%_]/g, '\\$&')}%`, matches, candidates };
  // Code points, as the trigram tokenizer counts them (not UTF-16 units).
  if ([...text].length < TRIGRAM) return search;
  // One FTS5 phrase: the needle's characters in order, which for trigrams means "contains".
  return { ...search, phrase: `"${text.replaceAll('"', '""')}"` };
}

const TRIGRAM = 3;

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
