import { RedisServer, redisServerMissing } from '../support/redis-server.js';
import { tempDir } from './helpers.js';

/** Is redis-server on this machine? Tests that need it skip with this reason otherwise. */
export function redisMissing(): string | false {
  const missing = redisServerMissing();
  if (missing === null) return false;
  // CI installs it and sets this: there a missing server is a failure, not a skip.
  if (process.env.BULKHEAD_REQUIRE_REDIS === '1')
    throw new Error('redis-server is required (BULKHEAD_REQUIRE_REDIS=1)');
  return missing;
}

/** A private redis-server (support/redis-server.ts), its data (AOF, fsync always) in a temp dir. */
export class TestRedis extends RedisServer {
  constructor() {
    super(tempDir('bulkhead-redis-'), { durable: true });
  }
}
