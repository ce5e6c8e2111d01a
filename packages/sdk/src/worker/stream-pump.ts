/**
 * One `stream` call's loop in the worker: the plugin's iterator is pulled only while the host's
 * credit lasts (then the batch is flushed and the loop waits for a `$/pull`), and on failure its
 * `finally` blocks run before the call is answered.
 * @module
 */
import type { Channel } from '../protocol/channel.js';
import { type Call, callError, throwIfAborted, waitForCredit } from './call.js';
import { enqueueChunk, flushChunks } from './chunk-batch.js';

/** Sends the items of `iterable` (sync or async) as `$/chunk`s of call `id`; resolves with their count. */
export async function pumpStream(
  channel: Channel,
  id: number,
  call: Call,
  iterable: () => AsyncIterable<unknown> | Iterable<unknown>,
): Promise<{ chunks: number }> {
  let sent = 0;
  let iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined;
  try {
    const items = iterable() as AsyncIterable<unknown> & Iterable<unknown>;
    iterator =
      typeof items[Symbol.asyncIterator] === 'function' ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
    for (;;) {
      throwIfAborted(call);
      if (call.credits <= 0) {
        flushChunks(channel, id, call);
        await waitForCredit(call);
        continue;
      }
      const step = await iterator.next();
      if (step.done) {
        iterator = undefined; // finished: nothing to close
        break;
      }
      // Encode now, inside this try: an item that cannot be sent fails this stream alone, and
      // a generator that refills one buffer cannot change items already yielded.
      enqueueChunk(channel, id, call, step.value, sent);
      call.credits--;
      sent++;
    }
    flushChunks(channel, id, call);
    return { chunks: sent };
  } catch (e) {
    try {
      flushChunks(channel, id, call);
    } catch {
      // the stream is failing anyway; the first error is the one to report
    }
    // Run the generator's finally blocks before answering (a plugin that never returns is
    // ended by the host's cancel grace kill).
    await Promise.resolve(iterator?.return?.()).catch(() => {});
    throw callError(e, call);
  }
}
