/**
 * Small-chunk streaming from one call, consumed with `for await`, at the default stream window.
 * @module
 */
import { startFixture, streamChunks } from '../bulkhead.js';
import { median } from '../stats.js';
import type { Benchmark } from '../types.js';

const ROUNDS = 3;
const CHUNKS = 1_000_000;

export const stream: Benchmark = {
  name: 'stream',
  metrics: [
    {
      key: 'stream_chunks_per_s',
      label: 'stream chunks (one call, small items)',
      unit: 'chunks/s',
      better: 'higher',
      target: { value: 200_000 },
      note: `median of ${ROUNDS} streams of ${CHUNKS} integers each, default stream window`,
    },
  ],
  async run() {
    const proc = await startFixture('noop');
    try {
      await streamChunks(proc, 20_000);
      const rates: number[] = [];
      for (let r = 0; r < ROUNDS; r++) rates.push(await streamChunks(proc, CHUNKS));
      return { stream_chunks_per_s: median(rates) };
    } finally {
      await proc.stop();
    }
  },
};
