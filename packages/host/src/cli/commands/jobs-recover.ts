/**
 * `bulkhead jobs recover [-o FILE]`: what a damaged job database still holds, row by row, written
 * as JSON lines (one job each; bytes as `{"$bytes": base64}`), so a corrupt file that SQLite can
 * partly read loses only the rows it cannot. Read-only: the database itself is left as it is.
 * @module
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import { toWire } from '../../control/wire.js';
import { decodeValue } from '../../queue/codec.js';
import { nodeSqlite } from '../../queue/sqlite/node-sqlite.js';
import { CliError } from '../cli-error.js';
import type { CommandContext } from '../context.js';

type Row = Record<string, unknown>;

export async function recover(ctx: CommandContext, options: { output?: string }): Promise<number> {
  const file = join(ctx.home, 'jobs.db');
  if (!existsSync(file))
    throw new CliError('ERR_STORE_UNAVAILABLE', `there is no job database at ${file}`, {
      data: { file, reason: 'cannot-open' },
      hint: 'nothing to recover: a queue that never ran has no database',
    });
  const output = resolve(options.output ?? join(ctx.home, `jobs.recovered-${Date.now()}.jsonl`));
  const { DatabaseSync } = nodeSqlite();
  let db: InstanceType<typeof DatabaseSync>;
  try {
    db = new DatabaseSync(file, { readOnly: true });
  } catch (e) {
    throw new CliError(
      'ERR_STORE_UNAVAILABLE',
      `${file} cannot be opened at all (${(e as Error).message}); nothing can be recovered`,
      { data: { file, reason: 'cannot-open' } },
    );
  }
  const lines: string[] = [];
  let unreadable = 0;
  try {
    for (const rowid of rowids(db)) {
      try {
        const row = db.prepare('SELECT * FROM jobs WHERE rowid = ?').get(rowid) as Row | undefined;
        if (row !== undefined) lines.push(JSON.stringify(toWire(jobOf(row))));
      } catch {
        unreadable++;
      }
    }
  } finally {
    db.close();
  }
  writeFileSync(output, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  if (ctx.out.json) ctx.out.document({ file, output, recovered: lines.length, unreadable });
  else {
    ctx.out.line(`${lines.length} job(s) recovered from ${file} into ${output}; ${unreadable} row(s) unreadable`);
    ctx.out.note(
      `to start again: move the database aside (mv ${file} ${file}.corrupt); the recovered jobs stay in ${output}`,
    );
  }
  return EXIT.OK;
}

/** The rows' ids: from the table's b-tree if it reads, else every id up to the largest. */
function rowids(db: InstanceType<ReturnType<typeof nodeSqlite>['DatabaseSync']>): number[] {
  try {
    return (db.prepare('SELECT rowid AS r FROM jobs ORDER BY rowid').all() as { r: number }[]).map((x) => x.r);
  } catch {
    // A damaged page in the middle: ask for each id on its own, up to the largest one.
  }
  let max = 0;
  try {
    max = Number((db.prepare('SELECT max(rowid) AS m FROM jobs').get() as { m: number | null }).m ?? 0);
  } catch {
    throw new CliError('ERR_STORE_UNAVAILABLE', 'the jobs table cannot be read at all; nothing can be recovered', {
      data: { reason: 'corrupt' },
    });
  }
  return Array.from({ length: max }, (_, i) => i + 1);
}

function jobOf(row: Row): Record<string, unknown> {
  const value = (v: unknown) => {
    if (!(v instanceof Uint8Array)) return null;
    try {
      return decodeValue(v);
    } catch {
      return v; // not in the wire encoding: kept as the bytes it is
    }
  };
  const json = (v: unknown) => {
    try {
      return typeof v === 'string' ? JSON.parse(v) : null;
    } catch {
      return v;
    }
  };
  return {
    id: row.id,
    plugin: row.plugin,
    status: row.status,
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    input: value(row.input),
    result: value(row.result),
    error: json(row.error),
  };
}
