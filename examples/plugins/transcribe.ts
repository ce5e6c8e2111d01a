import { setTimeout as sleep } from 'node:timers/promises';
import { definePlugin } from '@bulkhead/sdk';
import { z } from 'zod';

/**
 * A stand-in for a speech-to-text model: "loads" in initialize, then streams words of a transcript
 * with progress, and stops as soon as it is cancelled.
 */
export default definePlugin({
  name: 'transcribe',
  version: '0.3.0',
  description: 'Streams the words of a (simulated) transcript',
  config: z.object({ wordDelayMs: z.number().int().min(0).default(40) }),
  async initialize(config, ctx) {
    ctx.log.info('model loaded', { wordDelayMs: config.wordDelayMs });
  },
  async *stream(input: { text: string }, ctx) {
    const words = input.text.split(/\s+/).filter(Boolean);
    for (const [i, word] of words.entries()) {
      await sleep(ctx.config.wordDelayMs, undefined, { signal: ctx.signal });
      ctx.progress((i + 1) / words.length, `word ${i + 1}/${words.length}`);
      yield { index: i, word };
    }
  },
});
