/**
 * No-op round trip, one call at a time, against a same-sized ping-pong over the same channel kind.
 * @module
 */
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, Methods } from '@bulkhead/sdk/protocol';
import { NOOP_INPUT, startFixture, warmUp } from '../bulkhead.js';
import { openEchoPeer, roundTrip } from '../floor/echo.js';
import { frame } from '../floor/framing.js';
import { percentile } from '../stats.js';
import { alternate, timeEach } from '../timing.js';
import type { Benchmark } from '../types.js';

const WARMUP = 2000;
const ROUNDS = 8;
const PER_ROUND = 1000;

/** Bytes of the execute request frame Bulkhead writes for NOOP_INPUT (with a typical 5-digit id). */
export function executeFrameBytes(): number {
  const parts = encodeFrame(
    { id: 10_000, method: Methods.execute, params: { input: NOOP_INPUT } },
    DEFAULT_MAX_FRAME_BYTES,
  );
  return parts.reduce((n, p) => n + p.length, 0);
}

export const rtt: Benchmark = {
  name: 'rtt',
  metrics: [
    {
      key: 'rtt_p50_us',
      label: 'no-op execute RTT p50',
      unit: 'µs',
      better: 'lower',
      floor: 'floor_rtt_p50_us',
      target: { vsFloor: 1.5 },
      note: 'one call at a time; floor: same-sized length-prefixed ping-pong over fd 3',
    },
    { key: 'rtt_p99_us', label: 'no-op execute RTT p99', unit: 'µs', better: 'lower', floor: 'floor_rtt_p99_us' },
  ],
  async run() {
    const proc = await startFixture('noop');
    const peer = await openEchoPeer();
    try {
      const bytes = executeFrameBytes();
      const message = frame(Buffer.alloc(bytes - 4, 'x'));
      const bulkhead = () => timeEach(PER_ROUND, () => proc.execute(NOOP_INPUT));
      const floor = () => timeEach(PER_ROUND, () => roundTrip(peer, message));
      await warmUp(proc, WARMUP);
      await timeEach(WARMUP, () => roundTrip(peer, message));
      const [b, f] = await alternate(ROUNDS, bulkhead, floor);
      const bs = b.flat();
      const fs = f.flat();
      return {
        rtt_p50_us: percentile(bs, 0.5) / 1000,
        rtt_p99_us: percentile(bs, 0.99) / 1000,
        floor_rtt_p50_us: percentile(fs, 0.5) / 1000,
        floor_rtt_p99_us: percentile(fs, 0.99) / 1000,
        rtt_message_bytes: bytes,
      };
    } finally {
      await Promise.all([proc.stop(), peer.close()]);
    }
  },
};
