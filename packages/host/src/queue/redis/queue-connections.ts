/**
 * The three connections a RedisJobQueue opens: its records' (checked, ERR_REDIS_UNAVAILABLE at once
 * if Redis cannot be reached), BullMQ's (no auto-pipelining: see RedisJobQueue), and the events
 * channel's subscriber.
 * @module
 */
import type { Redis } from 'ioredis';
import { eventsChannel } from './events-channel.js';
import { connectRedis, redisTarget, unavailable } from './redis-connection.js';

/** The queue's Redis settings: a URL, or the URL with timings. */
export interface RedisQueueSettings {
  url: string;
  /** Key prefix, so several queues can share one Redis. Default `bulkhead`. */
  prefix?: string;
  /** A running job's lock, renewed every third of it. Default 3 s. */
  lockDurationMs?: number;
  /** BullMQ's stalled check. Default 2 s: a dead host's jobs run elsewhere within ~7 s. */
  stalledIntervalMs?: number;
  /** Each plugin's queue is looked at this often even without news. Default 500 ms. */
  pollMs?: number;
}

export interface QueueConnections {
  settings: Required<RedisQueueSettings>;
  redis: Redis;
  bull: Redis;
  sub: Redis;
}

/** Connects, checks the server, and subscribes to the events channel. */
export async function openConnections(redisSettings: string | RedisQueueSettings): Promise<QueueConnections> {
  const given = typeof redisSettings === 'string' ? { url: redisSettings } : redisSettings;
  const settings: Required<RedisQueueSettings> = {
    prefix: 'bulkhead',
    lockDurationMs: 3000,
    stalledIntervalMs: 2000,
    pollMs: 500,
    ...given,
  };
  const target = redisTarget(settings.url);
  const { redis, policy } = await connectRedis(target);
  if (policy !== 'noeviction') {
    process.emitWarning(
      `Redis at ${target.shown} has maxmemory-policy ${policy}: it may evict queued jobs; BullMQ needs noeviction`,
      'BulkheadQueueWarning',
    );
  }
  const sub = redis.duplicate();
  const bull = redis.duplicate({ enableAutoPipelining: false });
  try {
    await Promise.all([sub.connect(), bull.connect()]);
    await sub.subscribe(eventsChannel(settings.prefix, target.options.db ?? 0));
  } catch (e) {
    for (const c of [redis, sub, bull]) c.disconnect();
    throw unavailable(settings.url, 'connect', `cannot reach Redis at ${target.shown}`, e);
  }
  return { settings, redis, bull, sub };
}
