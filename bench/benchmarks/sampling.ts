/**
 * What a telemetry tick costs: CPU and memory of 20 process groups from /proc, by one scan of every
 * process (`sampleGroups`) and by one scan per group (`sampleGroup` × 20). The manager samples once
 * a second, so this must stay a small part of a second even on a slow box: a target, which used to
 * be an assertion in a test (a wall-clock threshold there, a benchmark here). Linux only.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { median } from '../stats.js';
import { timeMs } from '../timing.js';
import type { Benchmark } from '../types.js';

const GROUPS = 20;
const ROUNDS = 20;

// resources/ is not part of the package's public entry: the built module beside it.
type Resources = typeof import('../../packages/host/src/resources/index.js');
const resources = async () =>
  (await import(new URL('./resources/index.js', import.meta.resolve('bulkhead')).href)) as Resources;

function idleGroup(): ChildProcess {
  return spawn(process.execPath, ['-e', 'console.log(1); setInterval(() => {}, 1000)'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

export const sampling: Benchmark = {
  name: 'sampling',
  metrics: [
    {
      key: 'sample_groups_ms',
      label: `CPU and RSS of ${GROUPS} process groups, one /proc scan`,
      unit: 'ms',
      better: 'lower',
      target: { value: 50 },
      note: `sampleGroups(${GROUPS} groups), median of ${ROUNDS}`,
    },
    {
      key: 'sample_group_each_ms',
      label: `CPU and RSS of ${GROUPS} process groups, a scan each`,
      unit: 'ms',
      better: 'lower',
      target: { value: 250 },
      note: `${GROUPS} × sampleGroup at once, median of ${ROUNDS}; a 1 s telemetry period must stay mostly idle`,
    },
  ],
  async run(): Promise<Record<string, number>> {
    if (process.platform !== 'linux') return {};
    const { sampleGroup, sampleGroups } = await resources();
    const groups = Array.from({ length: GROUPS }, idleGroup);
    try {
      // Each is up (has printed) before it is sampled.
      await Promise.all(groups.map((g) => once(g.stdout!, 'data')));
      const pgids = groups.map((g) => g.pid as number);
      const scan: number[] = [];
      const each: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        scan.push(await timeMs(() => sampleGroups(pgids)));
        each.push(await timeMs(() => Promise.all(pgids.map((p) => sampleGroup(p)))));
      }
      return { sample_groups_ms: median(scan), sample_group_each_ms: median(each) };
    } finally {
      for (const g of groups) {
        try {
          process.kill(-(g.pid as number), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  },
};
