/**
 * One client of the event stream. Events are written as they come; the socket's own buffer is the
 * client's queue, and once more than `limitBytes` waits in it the client is dropped: its stream
 * ends with an `error` event saying why (ERR_SLOW_CLIENT), so a stalled reader costs the server a
 * bounded amount of memory, never more.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { toWire } from '../control/wire.js';
import type { EventHub, HubEvent } from './event-hub.js';

export interface SseOptions {
  /** Bytes that may wait to be written to one client before it is dropped. Default 1 MiB. */
  limitBytes?: number;
  /** A comment line this often keeps proxies from closing an idle stream. Default 15 s. */
  heartbeatMs?: number;
  /** Hears of each client dropped for reading too slowly. */
  onDrop?: (d: DroppedClient) => void;
}

/** What the hub reports about a client it dropped (tests and logs read it). */
export interface DroppedClient {
  bufferedBytes: number;
  limitBytes: number;
}

/** A dropped client's socket is destroyed this long after its last event, if it never reads it. */
const DROP_GRACE_MS = 30_000;

/** Each event is formatted once, however many clients it goes to. */
const formatted = new WeakMap<object, string>();

export function format(e: Pick<HubEvent, 'id' | 'type' | 'data'>): string {
  let text = formatted.get(e);
  if (text === undefined) {
    text = `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(toWire(e.data))}\n\n`;
    formatted.set(e, text);
  }
  return text;
}

/**
 * Streams the hub's events to `res` from after `lastId` (null: from now) until the client goes,
 * the server closes, or the client falls behind. `onDrop` hears of a drop.
 */
export function streamEvents(res: ServerResponse, hub: EventHub, lastId: number | null, options: SseOptions): void {
  const limitBytes = options.limitBytes ?? 1024 * 1024;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.socket?.setNoDelay(true);
  let ended = false;
  let detach = () => {};
  let heartbeat: NodeJS.Timeout | undefined;
  const end = () => {
    if (ended) return;
    ended = true;
    hub.off('event', write);
    hub.off('closing', close);
    detach();
    clearInterval(heartbeat);
  };
  // Events of one tick go out as one write: at thousands of events a second, a write (and a
  // syscall) each would cost more than the events themselves.
  let batch = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (ended || batch === '') return;
    res.write(batch);
    batch = '';
    if (res.writableLength > limitBytes) drop(res.writableLength);
  };
  const write = (e: HubEvent) => {
    if (ended) return;
    batch += format(e);
    if (batch.length + res.writableLength > limitBytes) return drop(batch.length + res.writableLength);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const drop = (bufferedBytes: number) => {
    end();
    const err = new BulkheadError(
      'ERR_SLOW_CLIENT',
      'this client read too slowly and was dropped; reconnect with Last-Event-ID',
      {
        bufferedBytes,
        limitBytes,
      },
    );
    res.end(`event: error\ndata: ${JSON.stringify(err.toJSON())}\n\n`);
    setTimeout(() => res.destroy(), DROP_GRACE_MS).unref();
    options.onDrop?.({ bufferedBytes, limitBytes });
  };
  // Say where the stream starts, so a client knows the id to resume from before any event comes.
  res.write(`retry: 2000\n: bulkhead events from ${hub.lastId}\n\n`);
  if (lastId !== null) {
    const missed = hub.since(lastId);
    if (missed === null)
      res.write(
        format({ id: hub.lastId, type: 'reset' as never, data: { reason: 'events since that id are no longer kept' } }),
      );
    else for (const e of missed) write(e);
  }
  if (ended) return;
  const close = () => {
    end();
    res.end();
  };
  hub.on('event', write);
  hub.once('closing', close);
  detach = hub.attach();
  heartbeat = setInterval(() => res.write(': ping\n\n'), options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  res.once('close', end);
}
