/**
 * The plugin manager's costs: its overhead per call over a bare PluginProcess, discovery of 1,000
 * manifests, and loading 10 plugins at once against one cold start.
 * @module
 */
import { PluginManager, PluginProcess } from 'bulkhead';
import { coldStart, NOOP_INPUT } from '../bulkhead.js';
import { floorStart } from '../floor/start.js';
import { pluginTree } from '../manifests.js';
import { fixture } from '../paths.js';
import { median, percentile } from '../stats.js';
import { alternate, timeEach, timeMs } from '../timing.js';
import type { Benchmark } from '../types.js';

const WARMUP = 2000;
const ROUNDS = 8;
const PER_ROUND = 1000;

async function managerRtt(): Promise<Record<string, number>> {
  const tree = pluginTree(1);
  const manager = new PluginManager({ pluginPaths: [tree.dir], home: tree.home, liveness: { pingIntervalMs: 0 } });
  const proc = await PluginProcess.start({ plugin: fixture('noop') });
  const name = tree.names[0] as string;
  try {
    for (let i = 0; i < WARMUP; i++) {
      await manager.execute(name, NOOP_INPUT);
      await proc.execute(NOOP_INPUT);
    }
    const [viaManager, direct] = await alternate(
      ROUNDS,
      () => timeEach(PER_ROUND, () => manager.execute(name, NOOP_INPUT)),
      () => timeEach(PER_ROUND, () => proc.execute(NOOP_INPUT)),
    );
    return {
      manager_rtt_p50_us: percentile(viaManager.flat(), 0.5) / 1000,
      manager_process_rtt_p50_us: percentile(direct.flat(), 0.5) / 1000,
    };
  } finally {
    await manager.close();
    await proc.stop();
    tree.remove();
  }
}

async function discover1000(): Promise<Record<string, number>> {
  const tree = pluginTree(1000);
  try {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      // A new manager each time: nothing cached between runs (the manifest validator is precompiled).
      const manager = new PluginManager({ pluginPaths: [tree.dir], home: tree.home });
      times.push(
        await timeMs(async () => {
          const found = await manager.discover();
          if (found.plugins.length !== 1000) throw new Error(`discovered ${found.plugins.length} of 1000`);
        }),
      );
      await manager.close();
    }
    return { discover_1000_ms: median(times) };
  } finally {
    tree.remove();
  }
}

async function loadAll10(): Promise<Record<string, number>> {
  const tree = pluginTree(10);
  try {
    const loadAll = async () => {
      const manager = new PluginManager({ pluginPaths: [tree.dir], home: tree.home, liveness: { pingIntervalMs: 0 } });
      await manager.discover();
      const ms = await timeMs(() => manager.loadAll());
      await manager.close();
      return ms;
    };
    // What 10 bare Node processes started at once cost here: on 2 cores, starting 10 runtimes is
    // CPU-bound, so this (not one start) is what loadAll() can approach.
    const bare10 = async () => {
      const t0 = performance.now();
      const peers = await Promise.all(Array.from({ length: 10 }, () => floorStart()));
      const ms = performance.now() - t0;
      await Promise.all(peers.map((p) => p.peer.close()));
      return ms;
    };
    await loadAll();
    const [all, one] = await alternate(5, loadAll, coldStart);
    const [bare] = await alternate(5, bare10, async () => 0);
    return {
      load_all_10_ms: median(all),
      load_all_floor_cold_start_ms: median(one),
      floor_node_start_10_parallel_ms: median(bare),
    };
  } finally {
    tree.remove();
  }
}

export const manager: Benchmark = {
  name: 'manager',
  metrics: [
    {
      key: 'manager_rtt_p50_us',
      label: 'manager.execute no-op p50',
      unit: 'µs',
      better: 'lower',
      floor: 'manager_process_rtt_p50_us',
      target: { vsFloor: 1.1 },
      note: 'floor: PluginProcess.execute on the same plugin, same run, alternating rounds',
    },
    {
      key: 'discover_1000_ms',
      label: 'discover() over 1,000 manifests',
      unit: 'ms',
      better: 'lower',
      target: { value: 200 },
      note: 'median of 5, each a new manager (the manifest validator is precompiled: no Ajv)',
    },
    {
      key: 'load_all_10_ms',
      label: 'loadAll() of 10 trivial plugins',
      unit: 'ms',
      better: 'lower',
      floor: 'load_all_floor_cold_start_ms',
      target: { vsFloor: 2 },
      note: 'median of 5; floor: one cold start (start to first answer) in the same run',
    },
    {
      key: 'floor_node_start_10_parallel_ms',
      label: '10 bare node starts at once (context)',
      unit: 'ms',
      better: 'lower',
      note: 'spawn to first fd-3 message of 10 bare node processes started together: the CPU floor of loadAll(10)',
    },
  ],
  async run() {
    return { ...(await managerRtt()), ...(await discover1000()), ...(await loadAll10()) };
  },
};
