/**
 * Bulk bytes: a 64 MiB Uint8Array to the worker and the same back, against the same echo over fd 3.
 * @module
 */
import { binaryIdentity, startFixture } from '../bulkhead.js';
import { echoBytes, openEchoPeer } from '../floor/echo.js';
import { median } from '../stats.js';
import { alternate, timeMs } from '../timing.js';
import type { Benchmark } from '../types.js';

const BYTES = 64 * 1024 * 1024;
const ROUNDS = 7;
/** Both directions count: each call moves 2 × 64 MiB. MB are decimal (10^6 bytes). */
const MB_PER_CALL = (2 * BYTES) / 1e6;

export const binary: Benchmark = {
  name: 'binary',
  metrics: [
    {
      key: 'binary_64mib_mb_per_s',
      label: '64 MiB in + out (binary identity)',
      unit: 'MB/s',
      better: 'higher',
      floor: 'floor_pipe_mb_per_s',
      target: { vsFloor: 0.5 },
      note: 'MB = 10^6 bytes, counting both directions (134.2 MB per call); floor: 64 MiB length-prefixed echo over fd 3, store and forward',
    },
  ],
  async run() {
    const data = new Uint8Array(BYTES);
    for (let i = 0; i < BYTES; i += 4096) data[i] = i & 0xff; // touch every page before timing
    const proc = await startFixture('binary');
    const peer = await openEchoPeer();
    try {
      const bulkhead = () => binaryIdentity(proc, data);
      const floor = () => timeMs(() => echoBytes(peer, data));
      await bulkhead();
      await floor();
      const [b, f] = await alternate(ROUNDS, bulkhead, floor);
      return {
        binary_64mib_mb_per_s: MB_PER_CALL / (median(b) / 1000),
        floor_pipe_mb_per_s: MB_PER_CALL / (median(f) / 1000),
      };
    } finally {
      await Promise.all([proc.stop(), peer.close()]);
    }
  },
};
