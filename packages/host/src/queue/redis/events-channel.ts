/**
 * The events channel of a Redis queue (`<prefix>:<db>:events`, pub/sub): every host publishes what
 * happens to the jobs it runs, and every host emits it, so watchers anywhere see every host's jobs.
 * A cancel for a job running elsewhere travels here too.
 * @module
 */
import type { Redis } from 'ioredis';
import type { JobQueueEvents } from '../types.js';

/** One message on the events channel: who sent it, and a queue event (or a cancel request). */
export type Message = { h: string } & (
  | { t: 'submitted'; e: JobQueueEvents['submitted'][0][] } // a batch: one message per submitMany
  | { t: 'started'; e: JobQueueEvents['started'][0] }
  | { t: 'progress'; e: JobQueueEvents['progress'][0] }
  | { t: 'log'; e: JobQueueEvents['log'][0] }
  | { t: 'completed'; e: JobQueueEvents['completed'][0] }
  | { t: 'failed'; e: JobQueueEvents['failed'][0] }
  | { t: 'cancelled'; e: JobQueueEvents['cancelled'][0] }
  | { t: 'cancel'; e: { id: string } }
);

/**
 * The channel's name. Pub/sub channels are not per database (a message reaches subscribers of
 * every database on the server), so two queues on one server, in two databases, must not share it.
 */
export function eventsChannel(prefix: string, db: number): string {
  return `${prefix}:${db}:events`;
}

/** A message as it travels (JSON), or null for what is not one. */
export function parseMessage(raw: Buffer): Message | null {
  try {
    const m = JSON.parse(raw.toString()) as Message;
    return typeof m === 'object' && m !== null && typeof m.h === 'string' && typeof m.t === 'string' ? m : null;
  } catch {
    return null;
  }
}

/** Whether an event ends its job (a failure that will retry does not): wait() callers then wake. */
export function endsJob(t: string, e: unknown): boolean {
  return t === 'completed' || t === 'cancelled' || (t === 'failed' && !(e as { willRetry: boolean }).willRetry);
}

/** What a host does with the messages of the others (receiveMessage). */
export interface ReceivingHost {
  cancel(id: string): void;
  poke(plugin: string): void;
  emit(t: string, e: unknown): void;
  wake(id: string): void;
}

/**
 * One host's end of the channel: what it publishes (stamped with its id, dropped once its queue
 * has closed) and the messages of the other hosts (its own echoes dropped).
 */
export class EventsChannel {
  readonly name: string;
  readonly #redis: Redis;
  readonly #hostId: string;
  readonly #closed: () => boolean;

  constructor(redis: Redis, prefix: string, hostId: string, closed: () => boolean) {
    this.name = eventsChannel(prefix, redis.options.db ?? 0);
    this.#redis = redis;
    this.#hostId = hostId;
    this.#closed = closed;
  }

  /** A message for the channel, published by a record transition when it applies (so, in its script). */
  message<K extends Message['t']>(t: K, e: Extract<Message, { t: K }>['e']): { channel: string; message: string } {
    return { channel: this.name, message: JSON.stringify({ h: this.#hostId, t, e }) };
  }

  publish(m: Message): void {
    if (this.#closed()) return;
    void this.#redis.publish(this.name, JSON.stringify(m)).catch(() => {});
  }

  /** A raw message from the subscriber, handed to `host` unless it is this host's own or not one. */
  receive(raw: Buffer, host: ReceivingHost): void {
    const m = parseMessage(raw);
    if (m !== null && m.h !== this.#hostId) receiveMessage(m, host);
  }
}

/**
 * What a host does with another host's message: a cancel for a job it runs, a batch of submits
 * (look for work, emit each), or an event to emit (and wake the job's waiters if it ended).
 */
export function receiveMessage(m: Message, host: ReceivingHost): void {
  if (m.t === 'cancel') {
    host.cancel(m.e.id);
    return;
  }
  if (m.t === 'submitted') {
    for (const e of m.e) {
      host.poke(e.plugin);
      host.emit('submitted', e);
    }
    return;
  }
  host.emit(m.t, m.e);
  if (endsJob(m.t, m.e)) host.wake(m.e.id);
}
