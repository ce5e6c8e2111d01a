/**
 * The RedisJobQueue's changes to jobs: cancel (here, or across hosts over the events channel),
 * and reorder (BullMQ's changePriority); resolving an id from its start is job-ids.ts (both backends).
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import { TERMINAL_STATUSES } from '../job-store.js';
import type { Job } from '../types.js';
import { toBullPriority } from './bull-priority.js';
import type { RedisQueueContext } from './redis-queue-context.js';

/**
 * Pending: cancelled here and now (its BullMQ job removed; a host that took it meanwhile finds it
 * cancelled and lets it go). Running on any host: that host is told over the events channel,
 * aborts the plugin's signal, and forces it after `cancelTimeoutMs`. Resolves once `cancelled`.
 */
export async function cancelJob(ctx: RedisQueueContext, id: string): Promise<Job> {
  const job = await ctx.record(id);
  if (TERMINAL_STATUSES.includes(job.status)) return ctx.job(job);
  const here = ctx.runner.cancel(id);
  if (here) {
    await here; // this host ran it: its outcome is written and announced
    return ctx.wait(id);
  }
  const now = Date.now();
  const detail = 'cancelled while pending';
  const applied = await ctx.records.transition(id, ['pending'], 'cancelled', { finishedAt: now }, [
    { at: now, type: 'cancelled', detail },
  ]);
  if (applied) {
    await ctx
      .queue(job.plugin)
      .remove(id)
      .catch(() => 0);
    ctx.announceEvent('cancelled', { id, plugin: job.plugin, forced: false });
    return ctx.get(id);
  }
  // Running on some host (or taken just now): ask it. The flag covers a host that is taking the
  // job at this moment (it reads the flag once it has marked the job running) or one that died
  // (the host that takes the stalled job ends it as cancelled).
  await ctx.records.setFields(id, { cancel: '1' });
  const waiting = ctx.wait(id);
  ctx.publish({ h: ctx.hostId, t: 'cancel', e: { id } });
  return waiting;
}

/**
 * A pending job to a new `priority` (behind the jobs already there), or to `position` in its
 * plugin's run order. On Redis a position lands exactly at the front or the back of a group of
 * equal priority (BullMQ's `changePriority` with or without lifo); inside a group it goes to
 * the group's front.
 */
export async function reorderJob(
  ctx: RedisQueueContext,
  id: string,
  to: { position: number } | { priority: number },
): Promise<Job> {
  const job = await ctx.record(id);
  if (job.status !== 'pending')
    throw new BulkheadError('ERR_INVALID_ARGUMENT', `job ${id} is ${job.status}; only pending jobs can be reordered`);
  const bull = await ctx.queue(job.plugin).getJob(id);
  if (bull === undefined)
    throw new BulkheadError('ERR_INVALID_ARGUMENT', `job ${id} started before it could be reordered`);
  let priority: number;
  let lifo = false;
  if ('priority' in to) {
    if (!Number.isFinite(to.priority))
      throw new BulkheadError('ERR_INVALID_ARGUMENT', '"priority" must be a finite number');
    priority = to.priority;
  } else {
    if (!Number.isSafeInteger(to.position) || to.position < 0)
      throw new BulkheadError('ERR_INVALID_ARGUMENT', '"position" must be an integer ≥ 0');
    const order = await ctx.queue(job.plugin).getJobs(['prioritized', 'wait'], 0, -1, true);
    const others = (await ctx.records.getMany(order.map((j) => j.id as string).filter((x) => x !== id))).filter(
      (j) => j !== null,
    );
    const p = Math.min(to.position, others.length);
    const next = others[p];
    const prev = others[p - 1];
    priority = next?.priority ?? prev?.priority ?? job.priority;
    lifo = next !== undefined;
  }
  await bull.changePriority({ priority: toBullPriority(priority), lifo });
  await ctx.records.transition(id, ['pending'], null, { priority }, [
    { at: Date.now(), type: 'reordered', detail: `priority ${priority}` },
  ]);
  return ctx.get(id);
}
