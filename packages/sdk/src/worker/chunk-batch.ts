/**
 * A stream's items on their way to the host: encoded as they are yielded, batched into `$/chunk`
 * frames (up to MAX_BATCH items, within the frame limit), sent on the next tick.
 * @module
 */
import { BulkheadError, toBulkheadError } from '../errors.js';
import type { Channel } from '../protocol/channel.js';
import { encodeChunkFrame } from '../protocol/frame.js';
import { preparePayload, SNAPSHOT_MAX_BYTES } from '../protocol/payload.js';
import type { Call } from './call.js';

/** Items per `$/chunk` frame at most; more are sent in further frames. */
const MAX_BATCH = 1024;
/** Room kept in a `$/chunk` frame for its envelope (method, id, the "bin" list's brackets). */
const CHUNK_FRAME_OVERHEAD = 256;

/** Adds `by` to every `{"$bin":i}` index in an item's JSON (binary refs are the only such objects). */
function shiftRefs(json: string, by: number): string {
  return json.replace(/\{"\$bin":(\d+)/g, (_, i: string) => `{"$bin":${Number(i) + by}`);
}

/** Encodes item `index` of stream `id` into its call's batch (ERR_FRAME_TOO_LARGE for one that can never fit). */
export function enqueueChunk(channel: Channel, id: number, call: Call, item: unknown, index: number): void {
  const bins: Uint8Array[] = [];
  const json = JSON.stringify(preparePayload(item, bins, `params.items[${index}]`, channel.handoff.send)) ?? 'null';
  let bytes = Buffer.byteLength(json) + 1;
  for (let i = 0; i < bins.length; i++) {
    const b = bins[i] as Uint8Array;
    // Small ones were copied by preparePayload; big ones must be too, since they wait for a flush.
    if (b.byteLength > SNAPSHOT_MAX_BYTES) bins[i] = b.slice();
    bytes += b.byteLength + 12;
  }
  const room = channel.maxFrameBytes - CHUNK_FRAME_OVERHEAD;
  if (bytes > room) {
    throw new BulkheadError(
      'ERR_FRAME_TOO_LARGE',
      `stream item ${index} of ${bytes} bytes exceeds the maximum frame size`,
      {
        bytes,
        maxFrameBytes: channel.maxFrameBytes,
      },
    );
  }
  if (call.batchBytes + bytes > room || call.batch.length >= MAX_BATCH) flushChunks(channel, id, call);
  // References inside `json` index this item's own attachments; shift them to the batch's.
  call.batch.push(bins.length === 0 || call.batchBins.length === 0 ? json : shiftRefs(json, call.batchBins.length));
  for (const b of bins) call.batchBins.push(b);
  call.batchBytes += bytes;
  scheduleFlush(channel, id, call);
}

function scheduleFlush(channel: Channel, id: number, call: Call): void {
  if (call.flushScheduled) return;
  call.flushScheduled = true;
  process.nextTick(() => {
    call.flushScheduled = false;
    try {
      flushChunks(channel, id, call);
    } catch (e) {
      // Items are checked when enqueued, so this is unexpected; end this stream, not the worker.
      call.abort(toBulkheadError(e));
    }
  });
}

/** Sends the call's batch now, if it has one. */
export function flushChunks(channel: Channel, id: number, call: Call): void {
  if (call.batch.length === 0) return;
  const items = call.batch;
  const bins = call.batchBins;
  call.batch = [];
  call.batchBins = [];
  call.batchBytes = 0;
  channel.sendFrame(encodeChunkFrame(id, items, bins, channel.maxFrameBytes));
}
