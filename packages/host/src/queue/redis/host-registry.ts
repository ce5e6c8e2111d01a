/**
 * The hosts that share a Redis queue: each writes what it is (plugins it can run, jobs it runs,
 * its free resources) every 2 s under a key that expires after 10 s, so a host that died drops
 * out of the list by itself, and any host (the CLI, the API, the dashboard) can show them all.
 * @module
 */
import type { Redis } from 'ioredis';
import type { HostView } from '../types.js';

export const HEARTBEAT_MS = 2000;
const TTL_MS = 10_000;

export class HostRegistry {
  readonly #redis: Redis;
  readonly #p: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#p = prefix;
  }

  async announce(view: HostView): Promise<void> {
    await this.#redis
      .multi()
      .set(`${this.#p}:host:${view.id}`, JSON.stringify(view), 'PX', TTL_MS)
      .sadd(`${this.#p}:hosts`, view.id)
      .exec();
  }

  async leave(id: string): Promise<void> {
    await this.#redis.multi().del(`${this.#p}:host:${id}`).srem(`${this.#p}:hosts`, id).exec();
  }

  /** Live hosts; ids whose key expired are dropped from the set on the way. */
  async list(): Promise<HostView[]> {
    const ids = await this.#redis.smembers(`${this.#p}:hosts`);
    if (ids.length === 0) return [];
    const rows = await this.#redis.mget(...ids.map((id) => `${this.#p}:host:${id}`));
    const gone = ids.filter((_, i) => rows[i] === null);
    if (gone.length > 0) await this.#redis.srem(`${this.#p}:hosts`, ...gone);
    return rows.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as HostView);
  }
}
