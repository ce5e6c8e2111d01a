/**
 * `bulkhead run NAME`: submit a job, show its progress live, print its result. Ctrl-C cancels the
 * job (cooperatively, then by force after the queue's grace period) and exits 130 once it has
 * ended; a second Ctrl-C exits at once. The exit code says how the job ended.
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { JobWatchEvent } from '../../control/types.js';
import type { Job } from '../../queue/types.js';
import { CliError, usage } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { bar, formatEntry, formatMs, type Output } from '../output.js';
import { interrupted, openSession, type Session, watchJob } from '../session.js';

export interface RunOptions {
  input: string;
  stream?: boolean;
  priority: number;
  timeout?: number;
  detach?: boolean;
}

export async function run(ctx: CommandContext, name: string, options: RunOptions): Promise<number> {
  const input = await readInput(options.input);
  if (options.stream) return runStream(ctx, name, input);
  const holder = {
    session: await openSession(ctx, { host: !options.detach, ...(options.detach ? {} : { warm: name }) }),
  };
  try {
    return await submitAndWatch(ctx, holder, name, input, options);
  } finally {
    await holder.session[Symbol.asyncDispose]();
  }
}

async function submitAndWatch(
  ctx: CommandContext,
  holder: { session: Session },
  name: string,
  input: unknown,
  options: RunOptions,
): Promise<number> {
  const { client } = holder.session;
  const id = await client.submit(name, input, {
    priority: options.priority,
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
  });
  if (options.detach) {
    if (ctx.out.json) ctx.out.document({ id });
    else ctx.out.line(id);
    if (client.mode === 'local')
      ctx.out.note('no Bulkhead host is running: the job runs when one starts (`bulkhead jobs wait ID`)');
    return EXIT.OK;
  }
  const progress = new JobProgress(ctx.out, name);
  const stop = interrupted(() => {
    ctx.out.note('cancelling the job… (Ctrl-C again to quit now)');
    holder.session.client.cancel(id).catch(() => {});
  });
  let job: Job;
  try {
    job = await watchJob(ctx, holder, id, (e) => progress.on(e));
  } finally {
    progress.stop();
    stop.dispose();
  }
  return report(ctx, job, stop.signal.aborted);
}

/** Prints how a job ended and returns the exit code for it. */
export function report(ctx: CommandContext, job: Job, interruptedByUser = false): number {
  const { out } = ctx;
  if (out.json) out.document(job);
  const took = job.startedAt && job.finishedAt ? ` in ${formatMs(job.finishedAt - job.startedAt)}` : '';
  switch (job.status) {
    case 'completed':
      if (!out.json) {
        out.line(typeof job.result === 'string' ? job.result : JSON.stringify(job.result, jsonBytes, 2));
        out.note(out.style('dim', `job ${job.id} completed${took}`));
      }
      return EXIT.OK;
    case 'cancelled':
      if (!out.json) out.note(`job ${job.id} cancelled${took}`);
      return interruptedByUser ? EXIT.INTERRUPTED : EXIT.JOB_CANCELLED;
    case 'failed':
      if (!out.json)
        out.error(
          `job ${job.id} failed: ${job.error?.code ?? ''} ${job.error?.message ?? ''}`.trim(),
          `see its log with \`bulkhead logs --job ${job.id}\``,
        );
      return EXIT.JOB_FAILED;
    default:
      if (!out.json) out.note(`job ${job.id} is ${job.status}`);
      return EXIT.FAILURE;
  }
}

async function runStream(ctx: CommandContext, name: string, input: unknown): Promise<number> {
  const { PluginManager } = await import('../../manager/plugin-manager.js');
  await using manager = new PluginManager({ home: ctx.home, env: ctx.env });
  const stop = interrupted();
  let n = 0;
  try {
    for await (const chunk of manager.stream(name, input, { signal: stop.signal })) {
      n++;
      if (ctx.out.json) ctx.out.record(chunk);
      else ctx.out.line(typeof chunk === 'string' ? chunk : JSON.stringify(chunk, jsonBytes));
    }
  } catch (e) {
    if (stop.signal.aborted) return EXIT.INTERRUPTED;
    throw e;
  } finally {
    stop.dispose();
  }
  if (!ctx.out.json) ctx.out.note(ctx.out.style('dim', `${n} chunk(s)`));
  return stop.signal.aborted ? EXIT.INTERRUPTED : EXIT.OK;
}

/** `--input`: JSON text, `@file` holding JSON, or `-` for JSON on stdin. */
export async function readInput(arg: string): Promise<unknown> {
  let text = arg;
  let from = 'the --input value';
  if (arg === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
    from = 'stdin';
  } else if (arg.startsWith('@')) {
    from = arg.slice(1);
    try {
      text = await readFile(from, 'utf8');
    } catch (e) {
      throw new CliError(
        `cannot read ${from}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        EXIT.USAGE,
      );
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw usage(
      `${from} is not JSON: ${(e as Error).message}`,
      `e.g. --input '{"name": "Ada"}' (quote it for the shell)`,
    );
  }
}

function jsonBytes(_k: string, v: unknown): unknown {
  return v instanceof Uint8Array ? `<${v.byteLength} bytes>` : v;
}

/** A bar on a terminal; elsewhere a plain line at each step of 10 % or new message, at most one a second. */
class JobProgress {
  readonly #out: Output;
  readonly #name: string;
  readonly #t0 = Date.now();
  #lastLine = 0;
  #lastTenth = -1;
  #lastMessage: string | undefined;

  constructor(out: Output, name: string) {
    this.#out = out;
    this.#name = name;
    out.status(`${name}: queued`);
  }

  on(e: JobWatchEvent): void {
    const out = this.#out;
    if (e.type === 'log') {
      // Job log lines go to stderr while the job runs: stdout is for its result.
      out.note(formatEntry(out, e.entry));
      return;
    }
    if (e.type === 'started') {
      out.status(`${this.#name}: started`);
      return;
    }
    const elapsed = formatMs(Date.now() - this.#t0);
    const text = `${this.#name} ${e.fraction !== undefined ? bar(e.fraction) : ''} ${e.message ?? ''} ${out.style('dim', elapsed)}`;
    if (out.tty) {
      out.status(text);
      return;
    }
    const tenth = e.fraction !== undefined ? Math.floor(e.fraction * 10) : this.#lastTenth;
    const now = Date.now();
    if ((tenth !== this.#lastTenth || e.message !== this.#lastMessage) && now - this.#lastLine >= 1000) {
      this.#lastLine = now;
      this.#lastTenth = tenth;
      this.#lastMessage = e.message;
      out.note(
        `${this.#name}: ${e.fraction !== undefined ? `${Math.round(e.fraction * 100)}%` : ''} ${e.message ?? ''}`.trimEnd(),
      );
    }
  }

  stop(): void {
    this.#out.clearStatus();
  }
}
