import { setTimeout as sleep } from 'node:timers/promises';
import { definePlugin } from '@bulkhead/sdk';

/** A long job that reports progress and honours cancellation; `crash: true` takes its worker down. */
export default definePlugin({
  name: 'render',
  version: '2.0.0',
  async execute(input: { frames: number; crash?: boolean }, ctx) {
    if (input.crash) {
      console.error('render: segfault in native addon (simulated)');
      process.exit(139);
    }
    for (let f = 1; f <= input.frames; f++) {
      await sleep(20, undefined, { signal: ctx.signal });
      ctx.progress(f / input.frames, `frame ${f}/${input.frames}`);
    }
    return { frames: input.frames };
  },
});
