/**
 * `bulkhead run NAME`: submit a job, show its progress live, print its result. Ctrl-C cancels the
 * job (cooperatively, then by force after the queue's grace period) and exits 130 once it has
 * ended; a second Ctrl-C exits at once. The exit code says how the job ended.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import type { JobWatchEvent } from '../../control/types.js';
import { fromWire } from '../../control/wire.js';
import type { Job } from '../../queue/types.js';
import { CliError, usage } from '../cli-error.js';
import type { CommandContext } from '../main.js';
import { bar, formatEntry, formatMs, type Output } from '../output.js';
import { interrupted, openSession, type Session, watchJob } from '../session.js';
import { bytesHint, showValue, writeResult } from '../value-output.js';

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
  /** Not a flag: `jobs retry` gives the first job's. */
  maxAttempts?: number;
}

export async function run(ctx: CommandContext, name: string, options: RunOptions): Promise<number> {
  const input = await withFiles(await readInput(options.input), options.file ?? []);
  // Host settings for this run, over config.yaml and the environment (checked with them).
  if (options.policy !== undefined) ctx.settings['scheduler.policy'] = options.policy;
  if (options.queueTimeout !== undefined) ctx.settings['scheduler.queueTimeout'] = options.queueTimeout;
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
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
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

async function runStream(ctx: CommandContext, name: string, input: unknown): Promise<number> {
  const { PluginManager } = await import('../../manager/plugin-manager.js');
  await using manager = new PluginManager({ home: ctx.home, env: ctx.env });
  const stop = interrupted();
  let n = 0;
  try {
    for await (const chunk of manager.stream(name, input, { signal: stop.signal })) {
      n++;
      if (ctx.out.json) ctx.out.record(chunk);
      else ctx.out.line(showValue(chunk));
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
        'ERR_USAGE',
        `cannot read ${from}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw usage(
      `${from} is not JSON: ${(e as Error).message}`,
      `e.g. --input '{"name": "Ada"}' (quote it for the shell)`,
    );
  }
  // Bytes as `--json` prints them ({"$bytes": base64}) read back as bytes.
  try {
    return fromWire(parsed);
  } catch (e) {
    throw usage(`${from}: ${(e as Error).message}`, 'bytes are written {"$bytes": "<base64>"}');
  }
}

/** `--file field=path`: each file's bytes at that (dotted) field of the input. */
export async function withFiles(input: unknown, files: string[]): Promise<unknown> {
  if (files.length === 0) return input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw usage('--file needs an input that is a JSON object', "e.g. --input '{}' --file image=photo.png");
  }
  const root = input as Record<string, unknown>;
  for (const spec of files) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) {
      throw usage(`--file ${spec}: expected FIELD=PATH`, 'e.g. --file image=photo.png');
    }
    const [field, path] = [spec.slice(0, eq), spec.slice(eq + 1)];
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      throw new CliError(
        'ERR_USAGE',
        `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    const keys = field.split('.');
    let node = root;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      if (next === undefined) node[key] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next) || ArrayBuffer.isView(next)) {
        throw usage(`--file ${spec}: ${key} in the input is not an object`);
      }
      node = node[key] as Record<string, unknown>;
    }
    node[keys.at(-1) as string] = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return root;
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
