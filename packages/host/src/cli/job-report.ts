/**
 * Following a submitted job to its end and saying how it ended, for `run`, `jobs wait` and `jobs
 * retry`: live progress (a bar on a terminal, plain lines elsewhere), the result or the error,
 * and the exit code for it.
 * @module
 */
import { CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import type { JobWatchEvent } from '../control/types.js';
import type { JobStatus } from '../queue/job-store.js';
import type { Job } from '../queue/types.js';
import type { CommandContext } from './context.js';
import { bar, formatEntry, formatMs, type Output } from './output.js';
import { interrupted, type Session, watchJob } from './session.js';
import { bytesHint, showValue, writeResult } from './value-output.js';

export const STATUSES: readonly JobStatus[] = ['pending', 'running', 'completed', 'failed', 'cancelled'];

export interface RunOptions {
  input: string;
  file?: string[];
  stream?: boolean;
  priority: number;
  timeout?: number;
  detach?: boolean;
  output?: string;
  resultOnly?: boolean;
  policy?: string;
  queueTimeout?: string;
  /** `--attempts N`: tries before the job fails (default: the host's `attempts` setting). */
  attempts?: number;
  /** Not a flag: `jobs retry` gives the first job's. */
  maxAttempts?: number;
}

/** Submits one job and follows it to its end (or, detached, prints its id); `bulkhead jobs retry` too. */
export async function submitAndWatch(
  ctx: CommandContext,
  holder: { session: Session },
  name: string,
  input: unknown,
  options: RunOptions & ReportOptions,
): Promise<number> {
  const { client } = holder.session;
  const id = await client.submit(name, input, {
    priority: options.priority,
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    ...((options.attempts ?? options.maxAttempts) !== undefined
      ? { maxAttempts: options.attempts ?? options.maxAttempts }
      : {}),
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
  return report(ctx, job, stop.signal.aborted, options);
}

/** How `report` prints a result. */
export interface ReportOptions {
  /** Write the result here (bytes raw) instead of printing it. */
  output?: string;
  /** `--json`: print only the result, not the whole job. */
  resultOnly?: boolean;
}

/** Prints how a job ended and returns the exit code for it. */
export async function report(
  ctx: CommandContext,
  job: Job,
  interruptedByUser = false,
  options: ReportOptions = {},
): Promise<number> {
  const { out } = ctx;
  const saved =
    job.status === 'completed' && options.output !== undefined ? await writeResult(options.output, job.result) : null;
  if (out.json) {
    if (!options.resultOnly) out.document(job);
    else if (job.status === 'completed') out.document(saved === null ? job.result : null);
    else out.document({ error: job.error, status: job.status });
  }
  const took = job.startedAt && job.finishedAt ? ` in ${formatMs(job.finishedAt - job.startedAt)}` : '';
  switch (job.status) {
    case 'completed':
      if (!out.json) {
        if (saved !== null) out.note(`wrote ${saved} to ${options.output}`);
        else {
          out.line(showValue(job.result, 2));
          const hint = bytesHint(job.result, `bulkhead jobs show ${job.id.slice(0, 8)}`);
          if (hint) out.note(out.style('dim', hint));
        }
        out.note(out.style('dim', `job ${job.id} completed${took}`));
      }
      return EXIT.OK;
    case 'cancelled':
      if (!out.json) out.note(`job ${job.id} cancelled${took}`);
      return interruptedByUser ? EXIT.INTERRUPTED : EXIT.JOB_CANCELLED;
    case 'failed':
      if (!out.json) {
        out.error(
          `job ${job.id} failed: ${job.error?.code ?? ''} ${job.error?.message ?? ''}`.trim(),
          out.verbose
            ? `see its log with \`bulkhead logs --job ${job.id}\``
            : `see its log with \`bulkhead logs --job ${job.id}\`, the plugin's stack with --verbose`,
        );
        const stack = stackOf(job);
        if (out.verbose && stack) out.note(stack);
      }
      return EXIT.JOB_FAILED;
    default:
      if (!out.json) out.note(`job ${job.id} is ${job.status}`);
      return EXIT.FAILURE;
  }
}

/** The plugin's stack, for a job that failed in plugin code. */
export function stackOf(job: Job): string | undefined {
  const stack = (job.error?.data as { stack?: unknown } | undefined)?.stack;
  return typeof stack === 'string' ? stack : undefined;
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
