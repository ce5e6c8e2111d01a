/**
 * What both queue backends (SQLite's JobQueue, RedisJobQueue) make of the same JobQueueOptions: the
 * scheduler admission runs on and the retention policy pruning keeps to, so the defaults are one.
 * @module
 */
import { Scheduler } from '../resources/scheduler.js';
import type { RetentionPolicy } from './job-store.js';
import type { JobQueueOptions } from './types.js';

/** The scheduler of a queue: `options.scheduler`'s settings over the manager's monitor (policy `queue`). */
export function schedulerOf(options: JobQueueOptions): Scheduler {
  const s = options.scheduler ?? {};
  return new Scheduler(s.monitor ?? options.manager.monitor, {
    policy: s.policy ?? 'queue',
    ...(s.queueTimeoutMs !== undefined ? { queueTimeoutMs: s.queueTimeoutMs } : {}),
    ...(s.refreshMs !== undefined ? { refreshMs: s.refreshMs } : {}),
  });
}

/** The retention policy `prune()` keeps to by default: 10,000 finished jobs, 7 days, no byte cap. */
export function retentionOf(options: JobQueueOptions): RetentionPolicy {
  const r = options.retention ?? {};
  return {
    maxCount: r.maxCount ?? 10_000,
    maxAgeMs: r.maxAgeMs ?? 7 * 24 * 3600_000,
    ...(r.maxBytes !== undefined ? { maxBytes: r.maxBytes } : {}),
  };
}
