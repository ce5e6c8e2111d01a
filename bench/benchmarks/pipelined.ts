/**
 * Throughput of one worker with many calls in flight: what batching in the channel buys.
 * @module
 */
import { pipelined as run, startFixture } from '../bulkhead.js';
import { median } from '../stats.js';
import type { Benchmark } from '../types.js';

const IN_FLIGHT = 256;
const ROUNDS = 5;
const PER_ROUND = 20_000;

export const pipelined: Benchmark = {
  name: 'pipelined',
  metrics: [
    {
      key: 'pipelined_calls_per_s',
      label: `pipelined no-op calls (${IN_FLIGHT} in flight)`,
      unit: 'calls/s',
      better: 'higher',
      target: { value: 100_000 },
      note: `${IN_FLIGHT} calls kept outstanding continuously; median of ${ROUNDS} rounds of ${PER_ROUND}`,
    },
  ],
  async run() {
    const proc = await startFixture('noop');
    try {
      await run(proc, 5000, IN_FLIGHT);
      const rates: number[] = [];
      for (let r = 0; r < ROUNDS; r++) rates.push(await run(proc, PER_ROUND, IN_FLIGHT));
      return { pipelined_calls_per_s: median(rates) };
    } finally {
      await proc.stop();
    }
  },
};
