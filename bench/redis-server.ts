/**
 * A private redis-server for the Redis benchmarks (support/redis-server.ts, the tests' too): no
 * persistence (the benchmarks measure the queue, not the disk), its temp dir removed after.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '../support/redis-server.js';

export { redisServerMissing } from '../support/redis-server.js';

export interface BenchRedis {
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<BenchRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-bench-redis-'));
  const server = await new RedisServer(dir, { durable: false }).start();
  return {
    url: server.url,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
