/**
 * Cold start: a new worker to its first answer, against spawning a bare Node that says one message.
 * @module
 */
import { coldStart as bulkheadStart } from '../bulkhead.js';
import { floorStartMs } from '../floor/start.js';
import { median } from '../stats.js';
import { alternate } from '../timing.js';
import type { Benchmark } from '../types.js';

const ROUNDS = 20;

export const coldStart: Benchmark = {
  name: 'cold-start',
  metrics: [
    {
      key: 'cold_start_ms',
      label: 'cold start to first execute',
      unit: 'ms',
      better: 'lower',
      floor: 'floor_node_start_ms',
      target: { vsFloor: 1.25 },
      note: `median of ${ROUNDS}; floor: bare node, same spawn options, one message on fd 3 received`,
    },
  ],
  async run() {
    // One of each first: the first spawn pays for reading node and the scripts from disk.
    await bulkheadStart();
    await floorStartMs();
    const [b, f] = await alternate(ROUNDS, bulkheadStart, floorStartMs);
    return { cold_start_ms: median(b), floor_node_start_ms: median(f) };
  },
};
