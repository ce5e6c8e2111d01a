/**
 * Submitting on Redis: each job is stored (its record), then queued (its BullMQ job); a batch is
 * checked whole first, so a bad one queues none.
 * @module
 */
import { toBulkheadError } from '@bulkhead/sdk/errors';
import { encodeValue } from '../codec.js';
import type { JobQueueEvents, SubmitOptions } from '../types.js';
import { toBullPriority } from './bull-priority.js';
import type { RedisQueueContext } from './redis-queue-context.js';
import { checkSubmit } from './submit-check.js';

export async function submitJobs(
  ctx: RedisQueueContext,
  jobs: { plugin: string; input: unknown; options?: SubmitOptions }[],
): Promise<string[]> {
  const plans = [];
  for (const { plugin, input, options = {} } of jobs) {
    await checkSubmit({ manager: ctx.manager, scheduler: ctx.scheduler, hosts: ctx.hosts }, plugin, input, options);
    plans.push({ plugin, options, input: encodeValue(input), bull: toBullPriority(options.priority ?? 0) });
  }
  const fresh: JobQueueEvents['submitted'][0][] = [];
  // All at once: ioredis sends commands in order on one connection, so each job's insert, then
  // its add, keep submission order (BullMQ's order within a priority), in one round trip or two.
  const ids = await Promise.all(
    plans.map(async ({ plugin, options, input, bull }) => {
      const id = crypto.randomUUID();
      const maxAttempts = options.maxAttempts ?? ctx.options.maxAttempts ?? 1;
      const idem = options.idempotencyKey ?? null;
      const held = await ctx.records.insert({
        id,
        plugin,
        input,
        priority: options.priority ?? 0,
        idempotencyKey: idem,
        maxAttempts,
        timeoutMs: options.timeout ?? null,
        createdAt: Date.now(),
      });
      if (held !== id) return held; // a repeated idempotency key: the first job stands
      try {
        await ctx
          .queue(plugin)
          .add(
            plugin,
            {},
            { jobId: id, priority: bull, attempts: maxAttempts, removeOnComplete: true, removeOnFail: true },
          );
      } catch (e) {
        await ctx.records.discard(id, idem).catch(() => {});
        throw toBulkheadError(e, 'ERR_REDIS_UNAVAILABLE');
      }
      const submitted = { id, plugin, priority: options.priority ?? 0 };
      ctx.emit('submitted', submitted);
      fresh.push(submitted);
      ctx.runner.poke(plugin);
      return id;
    }),
  );
  // One message for the batch: the other hosts emit each job's event, and look for work.
  if (fresh.length > 0) ctx.publish({ h: ctx.hostId, t: 'submitted', e: fresh });
  return ids;
}
