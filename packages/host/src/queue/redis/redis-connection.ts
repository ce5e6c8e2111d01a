/**
 * The Redis connection of a scaled-out queue: one ioredis client that reconnects by itself with
 * capped backoff (a Redis restart or a network cut never ends the host), and a first connect that
 * fails fast with ERR_REDIS_UNAVAILABLE and what to do, instead of a host that hangs or crash-loops.
 * @module
 */
import { BulkheadError, type RedisUnavailableReason } from '@bulkhead/sdk/errors';
import { Redis, type RedisOptions } from 'ioredis';

/** BullMQ 6 runs its scripts on Redis 6.2 and later. */
const MIN_VERSION = [6, 2];

/** The URL as it may be shown: without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

export interface RedisTarget {
  url: string;
  /** Shown in messages. */
  shown: string;
  options: RedisOptions;
}

export function redisTarget(url: string, connectTimeoutMs = 3000): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw unavailable(url, 'invalid-url', `"${redactUrl(url)}" is not a redis:// URL`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw unavailable(url, 'invalid-url', `"${redactUrl(url)}" is not a redis:// or rediss:// URL`);
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    url,
    shown: `${u.hostname}:${u.port || 6379}`,
    options: {
      host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: u.port === '' ? 6379 : Number(u.port),
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(Number.isInteger(db) ? { db } : {}),
      ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname } } : {}),
      connectTimeout: connectTimeoutMs,
      // BullMQ's workers block on Redis and must wait out a reconnect rather than fail a command.
      maxRetriesPerRequest: null,
      // Reconnect forever, 100 ms doubling to 2 s: a restarted Redis is found again within 2 s.
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      lazyConnect: true,
      // Commands issued in the same tick leave in one write: a job's handful of small commands
      // cost one syscall instead of one each (the host's largest cost without it).
      enableAutoPipelining: true,
    },
  };
}

export function unavailable(
  url: string,
  reason: RedisUnavailableReason,
  message: string,
  cause?: unknown,
  errno?: string,
): BulkheadError {
  return new BulkheadError(
    'ERR_REDIS_UNAVAILABLE',
    message,
    { url: redactUrl(url), reason, ...(errno ? { errno } : {}) },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Connects (rejecting with ERR_REDIS_UNAVAILABLE on the first failure, nothing left open) and
 * checks the server's version; returns the client, which from then on reconnects by itself.
 */
export async function connectRedis(target: RedisTarget): Promise<{ redis: Redis; version: string; policy: string }> {
  // No retries while the first connect is tried: a host that cannot reach Redis says so at once.
  const redis = new Redis({ ...target.options, retryStrategy: () => null });
  const fix = 'start Redis there, or correct queue.redis in config.yaml / BULKHEAD_REDIS_URL';
  redis.on('error', () => {}); // reported through connect()'s rejection below
  try {
    await redis.connect();
  } catch (e) {
    redis.disconnect();
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const text = e instanceof Error ? e.message : String(e);
    if (/NOAUTH|WRONGPASS|invalid password/i.test(text)) {
      throw unavailable(target.url, 'auth', `Redis at ${target.shown} refused the credentials (${text})`, e);
    }
    const reason = /timeout/i.test(text) || code === 'ETIMEDOUT' ? 'timeout' : 'connect';
    throw unavailable(target.url, reason, `cannot reach Redis at ${target.shown} (${code || text}); ${fix}`, e, code);
  }
  const info = String(await redis.info('server'));
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '0';
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < (MIN_VERSION[0] as number) || (major === MIN_VERSION[0] && minor < (MIN_VERSION[1] as number))) {
    redis.disconnect();
    throw unavailable(
      target.url,
      'version',
      `Redis at ${target.shown} is ${version}; BullMQ needs ${MIN_VERSION.join('.')} or later`,
    );
  }
  const memory = String(await redis.info('memory'));
  const policy = /maxmemory_policy:(\S+)/.exec(memory)?.[1] ?? 'unknown';
  // From here on: reconnect forever with backoff.
  redis.options.retryStrategy = target.options.retryStrategy;
  redis.removeAllListeners('error');
  return { redis, version, policy };
}
