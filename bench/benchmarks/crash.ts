/**
 * Crash detection: how long a pending call waits after its worker is SIGKILLed. The floor is how
 * long Node takes to report a bare child's exit after the same kill.
 * @module
 */
import { once } from 'node:events';
import { crashDetect } from '../bulkhead.js';
import { floorStart } from '../floor/start.js';
import { median } from '../stats.js';
import { alternate } from '../timing.js';
import type { Benchmark } from '../types.js';

const ROUNDS = 15;

async function floor(): Promise<number> {
  const { peer } = await floorStart();
  const exited = once(peer.child, 'exit');
  const t0 = performance.now();
  process.kill(peer.pid, 'SIGKILL');
  await exited;
  const ms = performance.now() - t0;
  await peer.close();
  return ms;
}

export const crash: Benchmark = {
  name: 'crash',
  metrics: [
    {
      key: 'crash_detect_ms',
      label: 'SIGKILL to pending call rejected',
      unit: 'ms',
      better: 'lower',
      floor: 'floor_exit_detect_ms',
      target: { value: 10 },
      note: `median of ${ROUNDS}; ERR_WORKER_EXITED on a never-answered call; floor: SIGKILL to 'exit' event of a bare child`,
    },
  ],
  async run() {
    const [b, f] = await alternate(ROUNDS, crashDetect, floor);
    return { crash_detect_ms: median(b), floor_exit_detect_ms: median(f) };
  },
};
