/**
 * The RedisJobQueue's reads that take more than a record: a job's result, why it has not started (`explain`), and the snapshot UIs show.
 * @module
 */
import { BulkheadError, ERROR_CODES } from '@bulkhead/sdk/errors';
import { decodeValue } from '../codec.js';
import type { JobRecord } from '../job-store.js';
import type { Explanation, QueueBackendView, QueueSnapshot } from '../types.js';
import { timelineOf } from './job-view.js';
import type { RedisQueueContext } from './redis-queue-context.js';

/** The result of a completed job; the error of a failed or cancelled one. */
export function resultOf<O>(id: string, job: JobRecord): O {
  if (job.status === 'completed') return (job.result === null ? null : decodeValue(job.result)) as O;
  if (job.status === 'failed' || job.status === 'cancelled') {
    const e = job.error ?? {
      code: job.status === 'cancelled' ? 'ERR_CANCELLED' : 'ERR_INTERNAL',
      message: job.status,
    };
    throw new BulkheadError((e.code in ERROR_CODES ? e.code : 'ERR_INTERNAL') as never, e.message, e.data as never);
  }
  throw new BulkheadError('ERR_INVALID_ARGUMENT', `job ${id} is ${job.status}; wait for it first`);
}

export async function explainJob(ctx: RedisQueueContext, id: string, job: JobRecord): Promise<Explanation> {
  const timeline = timelineOf(job);
  const base = { id, status: job.status, ahead: 0, timeline };
  if (job.status !== 'pending') {
    const host = (job as { host?: string | null }).host;
    const message =
      job.status === 'running'
        ? `running (attempt ${job.attempts} of ${job.maxAttempts}) on host ${host ?? '?'}`
        : `${job.status}${job.error ? `: ${job.error.message}` : ''}`;
    return { ...base, message, reasons: [] };
  }
  const order = await ctx.queue(job.plugin).getJobs(['prioritized', 'wait'], 0, 999, true);
  const ahead = Math.max(
    0,
    order.findIndex((j) => j.id === id),
  );
  const hosts = (await ctx.hosts.list()).filter((h) => h.plugins.includes(job.plugin));
  const reasons: Explanation['reasons'] = [];
  const words: string[] = [];
  if (ahead > 0) {
    reasons.push({ kind: 'ahead', jobs: ahead });
    words.push(`${ahead} job${ahead === 1 ? '' : 's'} ahead`);
  }
  if (hosts.length === 0) words.push(`no live host has plugin "${job.plugin}"`);
  else if (hosts.every((h) => h.running.length > 0)) words.push(`every host with "${job.plugin}" is busy`);
  if (reasons.length === 0) reasons.push({ kind: 'not-started' });
  if (words.length === 0) words.push('about to start');
  return { ...base, ahead, message: words.join('; '), reasons };
}

export async function snapshotOf(
  ctx: RedisQueueContext,
  backend: QueueBackendView,
  options: { recent?: number; pending?: number },
): Promise<QueueSnapshot> {
  const base = { time: Date.now(), resources: ctx.scheduler.ledger.view(), policy: ctx.scheduler.policy, backend };
  // Redis down: the snapshot still answers (UIs show the banner), with nothing it cannot read.
  if (!backend.connected) return { ...base, running: [], pending: [], recent: [] };
  const plugins = await ctx.redis.smembers(`${ctx.prefix}:plugins`);
  const limit = options.pending ?? 100;
  const pendingIds = (
    await Promise.all(plugins.map((p) => ctx.queue(p).getJobs(['prioritized', 'wait'], 0, limit - 1, true)))
  )
    .flat()
    .map((j) => j.id as string);
  const [running, pending, recent] = await Promise.all([
    ctx.records.runningIds().then((ids) => ctx.records.getMany(ids)),
    ctx.records.getMany(pendingIds),
    ctx.records.recent(options.recent ?? 20),
  ]);
  const live = <T>(j: T | null): j is T => j !== null;
  return {
    ...base,
    running: running.filter(live).map((j) => ctx.job(j)),
    pending: pending
      .filter(live)
      .filter((j) => j.status === 'pending')
      .sort((a, b) => b.priority - a.priority || a.createdAt - b.createdAt)
      .slice(0, limit)
      .map((j) => ctx.job(j)),
    recent: recent.map((j) => ctx.job(j)),
  };
}
