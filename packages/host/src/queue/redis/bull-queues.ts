/**
 * The BullMQ queue of each plugin, made on first use (for adds, reads of the run order, removes)
 * and recorded in `<prefix>:plugins`, so a snapshot can list every plugin's pending jobs.
 * @module
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { laneName } from './plugin-lane.js';

export class BullQueues {
  readonly #queues = new Map<string, Queue>();
  readonly #bull: Redis;
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(bull: Redis, redis: Redis, prefix: string) {
    this.#bull = bull;
    this.#redis = redis;
    this.#prefix = prefix;
  }

  get(plugin: string): Queue {
    let q = this.#queues.get(plugin);
    if (q === undefined) {
      q = new Queue(laneName(plugin), { connection: this.#bull, prefix: `${this.#prefix}:q` });
      q.on('error', () => {});
      this.#queues.set(plugin, q);
      void this.#redis.sadd(`${this.#prefix}:plugins`, plugin).catch(() => {});
    }
    return q;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((q) => q.close().catch(() => {})));
  }
}
