/**
 * The events channel of a Redis queue (`<prefix>:<db>:events`, pub/sub): every host publishes what
 * happens to the jobs it runs, and every host emits it, so watchers anywhere see every host's jobs.
 * A cancel for a job running elsewhere travels here too.
 * @module
 */
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
