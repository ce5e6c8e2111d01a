/**
 * The no-op round trip with the host and the worker pinned (taskset) to the same core, then to two
 * cores, each next to its floor pinned the same way: where the processes run changes what a round
 * trip costs (on one core the kernel hands the CPU straight over; on two, each side sleeps and is
 * woken), so both placements are measured and each is judged against its own floor.
 * Linux with taskset and two cores or more; elsewhere the benchmark reports nothing.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { NOOP_INPUT, startFixture, warmUp } from '../bulkhead.js';
import { openEchoPeer, roundTrip } from '../floor/echo.js';
import { frame } from '../floor/framing.js';
import { median, percentile } from '../stats.js';
import { alternate, timeEach } from '../timing.js';
import type { Benchmark } from '../types.js';
import { executeFrameBytes } from './rtt.js';

const WARMUP = 2000;
const ROUNDS = 8;
const PER_ROUND = 1000;

/** Pins every thread of `pid` to `core`; false if taskset is missing or refused. */
function pin(pid: number, core: number): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' }).status === 0;
}

/** The affinity of this process as taskset reads it, to put back afterwards. */
function affinityOf(pid: number): string | null {
  const r = spawnSync('taskset', ['-p', '-c', String(pid)], { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout.split(':').at(-1)?.trim() ?? null) : null;
}

async function measure(hostCore: number, workerCore: number): Promise<{ bulkhead: number[]; floor: number[] }> {
  const proc = await startFixture('noop');
  const peer = await openEchoPeer();
  try {
    if (!pin(process.pid, hostCore) || !pin(proc.pid ?? -1, workerCore) || !pin(peer.pid, workerCore)) {
      throw new Error('taskset refused to pin');
    }
    const message = frame(Buffer.alloc(executeFrameBytes() - 4, 'x'));
    await warmUp(proc, WARMUP);
    await timeEach(WARMUP, () => roundTrip(peer, message));
    const [b, f] = await alternate(
      ROUNDS,
      () => timeEach(PER_ROUND, () => proc.execute(NOOP_INPUT)),
      () => timeEach(PER_ROUND, () => roundTrip(peer, message)),
    );
    // Each round's median, then the median of those: one slow spell of a shared machine moves
    // one round, not the figure.
    return { bulkhead: b.map((r) => percentile(r, 0.5) / 1000), floor: f.map((r) => percentile(r, 0.5) / 1000) };
  } finally {
    await Promise.all([proc.stop(), peer.close()]);
  }
}

export const rttPlacement: Benchmark = {
  name: 'rtt-placement',
  metrics: [
    {
      key: 'rtt_p50_us_same_core',
      label: 'no-op execute RTT p50, host and worker on one core',
      unit: 'µs',
      better: 'lower',
      floor: 'floor_rtt_p50_us_same_core',
      target: { vsFloor: 1.5 },
      note: 'taskset: both on core 0; floor: the ping-pong pinned the same way; median of per-round medians',
    },
    {
      key: 'rtt_p50_us_split_cores',
      label: 'no-op execute RTT p50, host and worker on two cores',
      unit: 'µs',
      better: 'lower',
      floor: 'floor_rtt_p50_us_split_cores',
      target: { vsFloor: 1.5 },
      note: 'taskset: host on core 0, worker (and the floor child) on core 1',
    },
  ],
  async run(): Promise<Record<string, number>> {
    if (process.platform !== 'linux' || availableParallelism() < 2) return {};
    const before = affinityOf(process.pid);
    if (before === null) return {};
    try {
      const same = await measure(0, 0);
      const split = await measure(0, 1);
      return {
        rtt_p50_us_same_core: median(same.bulkhead),
        floor_rtt_p50_us_same_core: median(same.floor),
        rtt_p50_us_split_cores: median(split.bulkhead),
        floor_rtt_p50_us_split_cores: median(split.floor),
      };
    } finally {
      spawnSync('taskset', ['-a', '-p', '-c', before, String(process.pid)], { stdio: 'ignore' });
    }
  },
};
