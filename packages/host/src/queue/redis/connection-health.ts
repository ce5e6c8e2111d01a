/**
 * What a Redis queue knows of its connection while it runs: ioredis reconnects by itself (backoff,
 * forever), so this only keeps what to say about an outage (the last error, cleared once it is
 * back) and makes the calls that must reach Redis now fail fast while it is away, not hang.
 * @module
 */
import type { Redis } from 'ioredis';
import { redactUrl, unavailable } from './redis-connection.js';

export class ConnectionHealth {
  readonly #redis: Redis;
  readonly #url: string;
  #lastError: string | null = null;

  /** `onReady`: what to do once the connection is back (things missed while it was away). */
  constructor(redis: Redis, url: string, onReady: () => void) {
    this.#redis = redis;
    this.#url = url;
    redis.on('error', (e: Error) => {
      this.#lastError = (e as NodeJS.ErrnoException).code ?? e.message;
    });
    redis.on('ready', () => {
      this.#lastError = null;
      onReady();
    });
  }

  get connected(): boolean {
    return this.#redis.status === 'ready';
  }

  /** Why it is not connected (the last error, or ioredis's status); null while it is. */
  get error(): string | null {
    return this.connected ? null : (this.#lastError ?? this.#redis.status);
  }

  /** A failure met elsewhere (a lane, a host's own work), kept to be shown. */
  failed(e: unknown): void {
    this.#lastError = e instanceof Error ? e.message : String(e);
  }

  /** ERR_REDIS_UNAVAILABLE (`reconnecting`) unless connected now. */
  assertReady(): void {
    if (this.connected) return;
    throw unavailable(
      this.#url,
      'reconnecting',
      `Redis at ${redactUrl(this.#url)} is unreachable (${this.#lastError ?? this.#redis.status}); reconnecting`,
    );
  }
}
