/**
 * A 1 GiB bytes result, end to end, handed over by file against the same GiB through the socket as
 * a stream of 64 MiB chunks (a frame stops at 256 MiB), in one run, from the Python worker.
 * @module
 */
import { PY_BENCH, realPython, startPython } from '../python.js';
import { median } from '../stats.js';
import { alternate, timeMs } from '../timing.js';
import type { Benchmark } from '../types.js';

const GIB = 1 << 30;
const ROUNDS = 3;

export const handoff: Benchmark = {
  name: 'handoff',
  metrics: [
    {
      key: 'handoff_1gib_ms',
      label: '1 GiB result by file handoff, end to end',
      unit: 'ms',
      better: 'lower',
      floor: 'socket_1gib_ms',
      target: { vsFloor: 0.5 },
      note: 'floor here: the same 1 GiB through the socket as 16 stream chunks of 64 MiB; both until the host holds every byte',
    },
  ],
  async run(): Promise<Record<string, number>> {
    const py = realPython();
    if ('skip' in py) {
      process.stderr.write(`(skipped: ${py.skip}) `);
      return {};
    }
    const p = await startPython(py.path, PY_BENCH, { streamWindow: 4 });
    try {
      const byFile = () =>
        timeMs(async () => {
          const out = (await p.execute({ op: 'handoff' })) as Uint8Array;
          if (out.byteLength !== GIB) throw new Error(`handoff gave ${out.byteLength} bytes`);
        });
      const bySocket = () =>
        timeMs(async () => {
          let total = 0;
          for await (const chunk of p.stream({})) total += (chunk as Uint8Array).byteLength;
          if (total !== GIB) throw new Error(`stream gave ${total} bytes`);
        });
      await byFile(); // makes the GiB in the plugin, and warms both paths
      await bySocket();
      const [f, s] = await alternate(ROUNDS, byFile, bySocket);
      return { handoff_1gib_ms: median(f), socket_1gib_ms: median(s) };
    } finally {
      await p.stop();
    }
  },
};
