/**
 * Idle memory of a trivial worker against a bare Node process that opened fd 3.
 * @module
 */
import { idleWorkerRss } from '../bulkhead.js';
import { floorStart } from '../floor/start.js';
import { rssMiB, sleep } from '../proc.js';
import { median } from '../stats.js';
import { alternate } from '../timing.js';
import type { Benchmark } from '../types.js';

const ROUNDS = 3;
/** Both sides idle this long before reading VmRSS, so start-up garbage is treated alike. */
const SETTLE_MS = 200;

async function floor(): Promise<number> {
  const { peer } = await floorStart();
  try {
    await sleep(SETTLE_MS);
    return rssMiB(peer.pid);
  } finally {
    await peer.close();
  }
}

export const rss: Benchmark = {
  name: 'rss',
  metrics: [
    {
      key: 'worker_rss_mb',
      label: 'idle noop worker RSS',
      unit: 'MiB',
      better: 'lower',
      floor: 'floor_node_rss_mb',
      target: { vsFloor: 1.3 },
      note: `VmRSS from /proc, MiB (2^20 bytes), ${SETTLE_MS} ms idle after one call; floor: bare node with fd 3 open`,
    },
  ],
  async run() {
    const [b, f] = await alternate(ROUNDS, () => idleWorkerRss(SETTLE_MS), floor);
    return { worker_rss_mb: median(b), floor_node_rss_mb: median(f) };
  },
};
