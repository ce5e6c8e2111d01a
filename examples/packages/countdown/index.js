// A long job in miniature: progress every step, a log line, and a clean stop on cancel.
import { setTimeout as sleep } from 'node:timers/promises';
import { definePlugin } from '@bulkhead/sdk';
import { z } from 'zod';

export default definePlugin({
  name: 'countdown',
  version: '1.0.0',
  description: 'Counts down from `from`, one step every `stepMs`',
  config: z.object({ stepMs: z.number().int().min(0).default(100) }),
  async execute(input, ctx) {
    const from = Number.isInteger(input?.from) ? input.from : 10;
    ctx.log.info(`counting down from ${from}`);
    for (let i = from; i > 0; i--) {
      ctx.progress((from - i) / from, `${i} left`);
      // Rejects with an AbortError when the job is cancelled: the worker reports it as cancelled.
      await sleep(ctx.config.stepMs, undefined, { signal: ctx.signal });
    }
    ctx.progress(1, 'done');
    // COUNTDOWN_MODE comes from plugins.yaml's `env`.
    return { counted: from, mode: process.env.COUNTDOWN_MODE ?? null };
  },
  // The same count as a stream: one chunk per step (`bulkhead run countdown --stream`).
  async *stream(input, ctx) {
    const from = Number.isInteger(input?.from) ? input.from : 10;
    for (let i = from; i > 0; i--) {
      yield { left: i };
      await sleep(ctx.config.stepMs, undefined, { signal: ctx.signal });
    }
  },
});
