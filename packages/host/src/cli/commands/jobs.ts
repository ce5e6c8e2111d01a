/**
 * `bulkhead jobs [list|show|cancel|wait]`.
 * @module
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import { didYouMean } from '../../manifest/did-you-mean.js';
import type { JobStatus } from '../../queue/job-store.js';
import type { Explanation, Job } from '../../queue/types.js';
import { usage } from '../cli-error.js';
import type { CommandContext } from '../context.js';
import { type ReportOptions, report, STATUSES, stackOf } from '../job-report.js';
import { formatMs, table } from '../output.js';
import { interrupted, openSession, openSessionFor, type Session, watchJob } from '../session.js';
import { bytesHint, showValue, writeResult } from '../value-output.js';

const WATCH_MS = 500;

/** `bulkhead jobs [SUBCOMMAND]`: the list, or a clear error for a subcommand that does not exist. */
export async function listOrUnknown(
  ctx: CommandContext,
  args: string[],
  options: { status?: string; plugin?: string; limit: number; watch?: boolean },
): Promise<number> {
  const subcommand = args[0];
  if (subcommand !== undefined) {
    const near = didYouMean(subcommand, SUBCOMMANDS);
    throw usage(
      `unknown jobs subcommand "${subcommand}"${near ? ` (did you mean "${near}"?)` : ''}`,
      `jobs subcommands: ${SUBCOMMANDS.join(', ')} (see \`bulkhead jobs --help\`)`,
    );
  }
  return list(ctx, options);
}

const SUBCOMMANDS = ['list', 'show', 'cancel', 'wait', 'retry', 'prune', 'recover'];

export async function list(
  ctx: CommandContext,
  options: { status?: string; plugin?: string; limit: number; watch?: boolean },
): Promise<number> {
  const status = options.status?.split(',').map((s) => s.trim()) as JobStatus[] | undefined;
  for (const s of status ?? []) {
    if (!STATUSES.includes(s)) throw usage(`"${s}" is not a job status`, `use one of ${STATUSES.join(', ')}`);
  }
  const filter = {
    ...(status ? { status } : {}),
    ...(options.plugin ? { plugin: options.plugin } : {}),
    limit: options.limit,
  };
  // One short session per look: a watch must neither hold the job database (every other command
  // would find it taken) nor keep a host alive that has nothing else to do.
  const look = async () => {
    await using session = await openSession(ctx, { host: false });
    // A listing shows no inputs or results: none is read (or sent over the socket).
    return (await session.client.list(filter, { values: false })).jobs;
  };
  const jobs = await look();
  if (!options.watch) {
    // A queue shared by several hosts (Redis) says which host runs each job, and what each host has.
    const shared = jobs.some((j) => j.host !== undefined);
    if (ctx.out.json) ctx.out.document({ jobs: jobs.map(brief) });
    else if (jobs.length === 0) ctx.out.line('No jobs.');
    else if (shared)
      ctx.out.line(
        table([['ID', 'PLUGIN', 'STATUS', 'HOST', 'PROGRESS', 'CREATED', 'TOOK'], ...jobs.map((j) => row(j, true))]),
      );
    else ctx.out.line(table([['ID', 'PLUGIN', 'STATUS', 'PROGRESS', 'CREATED', 'TOOK'], ...jobs.map((j) => row(j))]));
    if (shared && !ctx.out.json) await showHosts(ctx);
    return EXIT.OK;
  }
  // --watch: every job once, then each job again whenever its status or progress changes.
  const seen = new Map<string, string>();
  const emit = (job: Job) => {
    const key = `${job.status}|${job.progress?.fraction ?? ''}|${job.progress?.message ?? ''}`;
    if (seen.get(job.id) === key) return;
    seen.set(job.id, key);
    if (ctx.out.json) ctx.out.record(brief(job));
    else ctx.out.line(row(job).join('  '));
  };
  for (const job of [...jobs].reverse()) emit(job);
  const stop = interrupted();
  try {
    while (!stop.signal.aborted) {
      await sleep(WATCH_MS);
      if (stop.signal.aborted) break;
      for (const job of [...(await look())].reverse()) emit(job);
    }
  } finally {
    stop.dispose();
  }
  return EXIT.INTERRUPTED;
}

export async function show(ctx: CommandContext, prefix: string, options: { output?: string } = {}): Promise<number> {
  await using session = await openSession(ctx, { host: false });
  const id = await session.client.resolveId(prefix);
  const job = await session.client.get(id);
  const waiting = job.status === 'pending' || job.status === 'running' ? await whyWaiting(session, id) : null;
  const saved =
    options.output !== undefined && job.status === 'completed' ? await writeResult(options.output, job.result) : null;
  if (ctx.out.json) {
    ctx.out.document({ ...job, ...(waiting ? { explanation: waiting } : {}) });
    return EXIT.OK;
  }
  const { out } = ctx;
  out.line(`${out.style('bold', job.id)}  ${job.plugin}  ${job.status}`);
  out.line(
    `  priority ${job.priority}, attempt ${job.attempts} of ${job.maxAttempts}${job.timeoutMs ? `, timeout ${formatMs(job.timeoutMs)}` : ''}`,
  );
  out.line(`  input    ${showValue(job.input)}`);
  if (job.host) out.line(`  host     ${job.host}`);
  if (job.progress) out.line(`  progress ${progressText(job)}`);
  if (waiting) out.line(`  now      ${waiting.message}`);
  if (job.status === 'completed') {
    out.line(`  result   ${showValue(job.result)}`);
    if (saved !== null) out.note(`wrote ${saved} to ${options.output}`);
    else {
      const hint = bytesHint(job.result, `bulkhead jobs show ${job.id.slice(0, 8)}`);
      if (hint) out.note(out.style('dim', hint));
    }
  }
  if (job.error) out.line(`  error    ${job.error.code}: ${job.error.message}`);
  const stack = stackOf(job);
  if (stack) {
    out.line('  stack');
    for (const line of stack.split('\n')) out.line(`    ${line.trim()}`);
  }
  out.line('  timeline');
  for (const e of job.timeline) {
    out.line(
      `    ${new Date(e.at).toISOString()}  ${e.type}${e.attempt ? ` (attempt ${e.attempt})` : ''}${e.detail ? `: ${e.detail}` : ''}`,
    );
  }
  return EXIT.OK;
}

export async function cancel(ctx: CommandContext, prefix: string): Promise<number> {
  await using session = await openSession(ctx, { host: false });
  const id = await session.client.resolveId(prefix);
  const before = await session.client.get(id);
  if (before.status !== 'pending' && before.status !== 'running') {
    if (ctx.out.json) ctx.out.document(brief(before));
    else ctx.out.error(`job ${id} already ended ${before.status}; nothing to cancel`);
    return EXIT.FAILURE;
  }
  const job = await session.client.cancel(id);
  if (ctx.out.json) ctx.out.document(brief(job));
  else ctx.out.line(`${job.id}: ${job.status}`);
  return EXIT.OK;
}

export async function wait(ctx: CommandContext, prefix: string, options: ReportOptions = {}): Promise<number> {
  // Waiting runs the job if no host is running to do it.
  const { session, id } = await openSessionFor(ctx, prefix);
  const holder = { session };
  const stop = interrupted();
  try {
    const job = await watchJob(ctx, holder, id, () => {}, stop.signal);
    return await report(ctx, job, false, options);
  } catch (e) {
    if (stop.signal.aborted) return EXIT.INTERRUPTED;
    throw e;
  } finally {
    stop.dispose();
    await holder.session[Symbol.asyncDispose]();
  }
}

/** What a job waits for; with no host running, nothing runs it until one starts. */
async function whyWaiting(session: Session, id: string): Promise<Explanation> {
  const e = await session.client.explain(id);
  if (session.client.mode === 'local' && e.status === 'pending') {
    return {
      ...e,
      message: 'no Bulkhead host is running: it runs when one starts (`bulkhead jobs wait ID` starts one)',
    };
  }
  if (session.client.mode === 'local' && e.status === 'running') {
    return { ...e, message: 'its host went away; the next host to start recovers it' };
  }
  return e;
}

export function brief(job: Job) {
  const { input: _input, result: _result, timeline: _timeline, ...rest } = job;
  return rest;
}

/** The hosts sharing a Redis queue: each one's plugins, running jobs and free resources. */
async function showHosts(ctx: CommandContext): Promise<void> {
  await using session = await openSession(ctx, { host: false });
  const backend = (await session.client.snapshot({ recent: 1, pending: 1 })).backend;
  if (backend === undefined) return;
  ctx.out.line('');
  if (!backend.connected) {
    ctx.out.line(`Redis at ${backend.url} is unreachable (${backend.error ?? 'reconnecting'}); reconnecting`);
    return;
  }
  ctx.out.line(`Hosts on ${backend.url}:`);
  const rows = backend.hosts.map((h) => {
    const r = h.resources;
    const gpus = r.gpus.map((g) => `GPU${g.index} ${Math.round(g.freeMB / 1024)} GB`).join(', ');
    const free = `${Math.round(r.memory.freeMB / 1024)} GB RAM${gpus ? `, ${gpus}` : ''}`;
    return [h.id, h.plugins.join(', ') || '-', String(h.running.length), free];
  });
  ctx.out.line(table([['HOST', 'PLUGINS', 'RUNNING', 'FREE'], ...rows]));
}

function row(job: Job, withHost = false): string[] {
  const took = job.startedAt ? formatMs((job.finishedAt ?? Date.now()) - job.startedAt) : '-';
  return [
    job.id,
    job.plugin,
    job.status,
    ...(withHost ? [job.host ?? '-'] : []),
    progressText(job),
    new Date(job.createdAt).toISOString().slice(0, 19).replace('T', ' '),
    took,
  ];
}

function progressText(job: Job): string {
  const p = job.progress;
  if (!p) return '-';
  return `${p.fraction !== undefined ? `${Math.round(p.fraction * 100)}%` : ''} ${p.message ?? ''}`.trim() || '-';
}
