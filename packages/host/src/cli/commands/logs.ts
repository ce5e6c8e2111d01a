/**
 * `bulkhead logs NAME [-f]` reads a plugin's JSON-lines log file (the host writes it, whichever
 * process that is), so following works without talking to the host; `logs --job ID [-f]` reads a
 * job's log from the queue and follows it through the job's events.
 * @module
 */

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import type { LogEntry } from '../../process/log-buffer.js';
import { usage } from '../cli-error.js';
import type { CommandContext } from '../context.js';
import { findPlugin } from '../find-plugin.js';
import { formatEntry, type Output } from '../output.js';
import { interrupted, openSession, openSessionFor, watchJob } from '../session.js';

/** How often a followed log file is checked for growth. */
const POLL_MS = 150;

export async function logs(
  ctx: CommandContext,
  name: string | undefined,
  options: { job?: string; follow?: boolean; tail: number },
): Promise<number> {
  if (options.job !== undefined) return jobLogs(ctx, options.job, options);
  if (name === undefined) throw usage('give a plugin name or --job ID', 'e.g. bulkhead logs hello -f');
  {
    const { openPlugins } = await import('../session.js');
    await using access = await openPlugins(ctx);
    await findPlugin(await access.plugins(), name);
  }
  const file = join(ctx.home, 'logs', `${name.replaceAll('/', '__')}.log`);
  const tailer = new FileTailer(file);
  const first = tailer.read();
  for (const entry of first.slice(tailStart(options.tail))) print(ctx.out, entry);
  if (!options.follow) {
    if (first.length === 0 && !ctx.out.json) ctx.out.note(`(no log entries yet for ${name})`);
    return EXIT.OK;
  }
  const stop = interrupted();
  while (!stop.signal.aborted) {
    await sleep(POLL_MS);
    for (const entry of tailer.read()) print(ctx.out, entry);
  }
  return EXIT.INTERRUPTED;
}

async function jobLogs(
  ctx: CommandContext,
  prefix: string,
  options: { follow?: boolean; tail: number },
): Promise<number> {
  if (!options.follow) {
    await using session = await openSession(ctx, { host: false });
    const id = await session.client.resolveId(prefix);
    for (const entry of (await session.client.jobLogs(id)).slice(tailStart(options.tail))) print(ctx.out, entry);
    return EXIT.OK;
  }
  const { session, id } = await openSessionFor(ctx, prefix);
  const holder = { session };
  const stop = interrupted();
  try {
    // The watch starts first and holds what it sees until the stored log is printed, so no line
    // falls between the two; lines in both are printed once.
    let held: LogEntry[] | null = [];
    const watching = watchJob(
      ctx,
      holder,
      id,
      (e) => {
        if (e.type !== 'log') return;
        if (held) held.push(e.entry);
        else print(ctx.out, e.entry);
      },
      stop.signal,
    );
    watching.catch(() => {}); // awaited below
    const stored = await holder.session.client.jobLogs(id);
    for (const entry of stored.slice(tailStart(options.tail))) print(ctx.out, entry);
    const key = (e: LogEntry) => `${e.time}|${e.level}|${e.message}`;
    const seen = new Set(stored.map(key));
    for (const entry of held) if (!seen.has(key(entry))) print(ctx.out, entry);
    held = null;
    await watching;
    return EXIT.OK;
  } catch (e) {
    if (stop.signal.aborted) return EXIT.INTERRUPTED;
    throw e;
  } finally {
    stop.dispose();
    await holder.session[Symbol.asyncDispose]();
  }
}

/** Where the last `n` entries start: `-n 0` prints none (slice(-0) would print all). */
function tailStart(n: number): number {
  return n === 0 ? Number.MAX_SAFE_INTEGER : -n;
}

export function print(out: Output, entry: LogEntry): void {
  if (out.json) out.record(entry);
  else out.line(formatEntry(out, entry));
}

/**
 * Reads the JSON lines appended to a file since the last read. A file that got smaller or was
 * replaced (rotated) is read again from its start.
 */
export class FileTailer {
  readonly #file: string;
  #offset = 0;
  #ino = -1;
  #partial = '';

  constructor(file: string) {
    this.#file = file;
  }

  read(): LogEntry[] {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(this.#file);
    } catch {
      return [];
    }
    if (stat.ino !== this.#ino || stat.size < this.#offset) {
      this.#ino = stat.ino;
      this.#offset = 0;
      this.#partial = '';
    }
    if (stat.size === this.#offset) return [];
    const fd = openSync(this.#file, 'r');
    try {
      const buf = Buffer.alloc(stat.size - this.#offset);
      const n = readSync(fd, buf, 0, buf.length, this.#offset);
      this.#offset += n;
      const text = this.#partial + buf.toString('utf8', 0, n);
      const lines = text.split('\n');
      this.#partial = lines.pop() ?? '';
      const entries: LogEntry[] = [];
      for (const line of lines) {
        if (line.trim() === '') continue;
        try {
          entries.push(JSON.parse(line) as LogEntry);
        } catch {
          entries.push({
            time: Date.now(),
            source: 'host',
            level: 'warn',
            message: `unreadable log line: ${line.slice(0, 200)}`,
          });
        }
      }
      return entries;
    } finally {
      closeSync(fd);
    }
  }
}
