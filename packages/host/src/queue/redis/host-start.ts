/**
 * What a RedisJobQueue host sets going when it starts: a lane per plugin it has, its timers (polls,
 * lock renewals, heartbeat, log and progress flushes, pruning), and the view its heartbeat writes.
 * @module
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Scheduler } from '../../resources/scheduler.js';
import type { PluginRunner } from '../plugin-runner.js';
import type { HostView } from '../types.js';
import type { BullQueues } from './bull-queues.js';
import { HEARTBEAT_MS } from './host-registry.js';
import type { JobRunner } from './job-runner.js';
import { PluginLane, pluginsOf } from './plugin-lane.js';
import type { RedisQueueSettings } from './queue-connections.js';

const LOG_FLUSH_MS = 100;
const PROGRESS_FLUSH_MS = 250;

/** A lane for each enabled plugin of this host. */
export function addLanes(
  manager: PluginRunner,
  runner: JobRunner,
  bull: Redis,
  settings: Required<RedisQueueSettings>,
  onError: (e: Error) => void,
): void {
  for (const p of pluginsOf(manager)) {
    if (!p.enabled) continue;
    const lane = new PluginLane(
      p.name,
      bull,
      settings.prefix,
      { lockDurationMs: settings.lockDurationMs, stalledIntervalMs: settings.stalledIntervalMs },
      onError,
    );
    runner.addLane(lane);
  }
}

/** The host's timers (unref'd, so they hold no process open), for `stop` to clear. */
export function startTimers(
  settings: Required<RedisQueueSettings>,
  runner: JobRunner,
  announce: () => void,
  prune: () => void,
): NodeJS.Timeout[] {
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, f: () => void) => {
    const t = setInterval(f, ms);
    t.unref();
    timers.push(t);
  };
  every(settings.pollMs, () => runner.pokeAll());
  every(Math.max(100, Math.floor(settings.lockDurationMs / 3)), () => runner.renewLocks());
  every(HEARTBEAT_MS, announce);
  every(LOG_FLUSH_MS, () => void runner.flushLogs());
  every(PROGRESS_FLUSH_MS, () => runner.flushProgress());
  every(60_000, prune);
  return timers;
}

/** What this host's heartbeat says it is. */
export function hostView(hostId: string, manager: PluginRunner, runner: JobRunner, scheduler: Scheduler): HostView {
  return {
    id: hostId,
    hostname: hostname(),
    pid: process.pid,
    plugins: runner.lanes.map((l) => l.plugin).filter((p) => manager.get(p)?.enabled),
    running: runner.runningIds,
    resources: scheduler.ledger.view(),
    seenAt: Date.now(),
  };
}

/** Jobs waiting for the plugins this host has (for `stop({ drain })`). */
export async function waitingForMine(runner: JobRunner, queues: BullQueues): Promise<number> {
  let n = 0;
  for (const l of runner.lanes) n += await queues.get(l.plugin).getJobCountByTypes('prioritized', 'wait');
  return n;
}
