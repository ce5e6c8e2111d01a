/**
 * Opens the job queue the options ask for: the embedded SQLite `JobQueue` by default, or the
 * Redis/BullMQ `RedisJobQueue` shared by several hosts when `redis` is set (config `queue.redis`
 * or `BULKHEAD_REDIS_URL`). The Redis modules load only then.
 *
 * @example
 * const queue = await openJobQueue({ manager, ...queueOptionsOf(config) });
 * @module
 */
import type { ControlServer } from '../control/server.js';
import type { JobQueueApi } from './job-queue-api.js';
import type { JobQueueOptions } from './types.js';

/** A queue as opened: the API, and the home's control socket while it serves one (from `start()`). */
export type OpenedJobQueue = JobQueueApi & { readonly control: ControlServer | null };

export async function openJobQueue(options: JobQueueOptions): Promise<OpenedJobQueue> {
  if (options.redis !== undefined && options.redis !== '') {
    const { RedisJobQueue } = await import('./redis/index.js');
    return RedisJobQueue.open({ ...options, redis: options.redis });
  }
  const { JobQueue } = await import('./job-queue.js');
  return JobQueue.open(options);
}
