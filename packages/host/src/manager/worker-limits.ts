/**
 * What the host enforces on a running worker, from its manifest's `limits`: a memory limit (a
 * Node worker's heap cap, set where it is spawned, and an RSS watchdog over its whole process
 * group here) and recycling (a fresh worker after N calls, or once its RSS grew by X MiB).
 *
 * Why a watchdog and not a cgroup: a cgroup v2 `memory.max` per worker needs a writable cgroup
 * v2 hierarchy with the memory controller delegated; {@link memoryLimitMode} says whether this
 * machine has one, and docs/reliability.md what is built. The watchdog samples /proc (the same
 * scan telemetry uses), so a group can pass its limit by what it allocates between two samples
 * (`limits.watchdogIntervalMs`, 250 ms by default) before it is killed.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { PluginLimits, PluginManifest } from '../manifest/index.js';
import type { PluginProcess } from '../process/plugin-process.js';
import { sampleGroup } from '../resources/process-group.js';
import type { ManagedPlugin } from './managed-plugin.js';

export interface WorkerLimitsOptions {
  /** `watchdog` (the default): enforce `limits.memoryMB` by sampling RSS; `off`: only the heap cap. */
  memory?: 'watchdog' | 'off';
  /** How often a limited or recycled worker's group is sampled. Default 250 ms. */
  watchdogIntervalMs?: number;
}

/** What the hooks in plugin-workers.ts do when a limit is reached. */
export interface LimitActions {
  /** Kill the worker: its calls fail with `error`. */
  overLimit(error: BulkheadError<'ERR_WORKER_OOM'>): void;
  /** Replace the worker (it is idle). */
  recycle(why: string): void;
}

/** What {@link enforceLimits} and {@link heapCapArgs} take: the manifest's limits, memory resolved. */
export interface EnforcedLimits extends Omit<PluginLimits, 'memoryMB'> {
  memoryMB?: number;
}

/**
 * The limits a worker of this manifest runs under: `limits.memoryMB ?? resources.memoryMB` as its
 * memory limit (a reservation is a limit too, so a plugin cannot take more than the scheduler
 * counted), and none where `limits.memoryMB` is `null` (a reservation without a limit).
 */
export function enforcedLimits(manifest: Pick<PluginManifest, 'limits' | 'resources'>): EnforcedLimits | undefined {
  const { memoryMB: declared, ...rest } = manifest.limits ?? {};
  const memoryMB = declared === null ? undefined : (declared ?? manifest.resources?.memoryMB);
  // memoryMB 0 in resources reserves nothing: it is no limit either.
  const limits: EnforcedLimits = { ...rest, ...(memoryMB !== undefined && memoryMB > 0 ? { memoryMB } : {}) };
  return Object.keys(limits).length === 0 ? undefined : limits;
}

/** The `--max-old-space-size` a Node worker of these limits gets (none without a memory limit). */
export function heapCapArgs(limits: EnforcedLimits | undefined): string[] {
  return limits?.memoryMB === undefined ? [] : [`--max-old-space-size=${Math.max(1, Math.floor(limits.memoryMB))}`];
}

/**
 * Watches `proc` while it is `m`'s worker: kills it past `limits.memoryMB` and recycles it (when
 * idle) after `recycleAfterCalls` calls or `recycleAfterGrowthMB` of RSS growth. Stops by itself
 * once the worker is replaced or gone.
 */
export function enforceLimits(
  m: ManagedPlugin,
  proc: PluginProcess,
  limits: EnforcedLimits | undefined,
  options: WorkerLimitsOptions | undefined,
  act: LimitActions,
): void {
  const pid = proc.pid;
  if (limits === undefined || pid === undefined) return;
  const callsAtStart = m.calls;
  const watchMemory = limits.memoryMB !== undefined && (options?.memory ?? 'watchdog') === 'watchdog';
  // The baseline is read now, synchronously: a first call could grow it before any sample.
  let baselineMB: number | null = leaderRssMB(pid);
  let lastMB: number | null = null;
  let done = false;
  const current = () => !done && m.proc === proc && proc.alive;
  const finish = () => {
    done = true;
    if (timer !== undefined) clearInterval(timer);
    // Only this worker's hook: a replacement may have set its own already.
    if (m.afterCall === recycleIfDue) m.afterCall = null;
  };
  const recycleIfDue = () => {
    if (!current() || m.inFlight > 0) return;
    const calls = m.calls - callsAtStart;
    let why: string | null = null;
    if (limits.recycleAfterCalls !== undefined && calls >= limits.recycleAfterCalls) why = `after ${calls} calls`;
    else if (limits.recycleAfterGrowthMB !== undefined && baselineMB !== null && lastMB !== null) {
      const grown = lastMB - baselineMB;
      if (grown > limits.recycleAfterGrowthMB) why = `its RSS grew by ${grown.toFixed(0)} MB since it loaded`;
    }
    if (why === null) return;
    finish();
    act.recycle(why);
  };
  let sampling = false;
  const sampled = watchMemory || limits.recycleAfterGrowthMB !== undefined;
  const timer = !sampled
    ? undefined
    : setInterval(() => {
        if (!current()) return finish();
        if (sampling) return;
        sampling = true;
        void sampleGroup(pid).then(
          (sample) => {
            sampling = false;
            if (sample === undefined || !current()) return;
            const mb = sample.rssBytes / 2 ** 20;
            baselineMB ??= mb;
            lastMB = mb;
            if (watchMemory && mb > (limits.memoryMB as number)) {
              finish();
              act.overLimit(watchdogError(m.name, limits.memoryMB as number, mb));
              return;
            }
            recycleIfDue();
          },
          () => {
            sampling = false;
          },
        );
      }, options?.watchdogIntervalMs ?? 250);
  timer?.unref();
  if (limits.recycleAfterCalls !== undefined || limits.recycleAfterGrowthMB !== undefined) m.afterCall = recycleIfDue;
}

/** The worker's own RSS (at load the group is the worker alone), or null off Linux. */
function leaderRssMB(pid: number): number | null {
  try {
    const kb = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}

function watchdogError(name: string, limitMB: number, rssMB: number): BulkheadError<'ERR_WORKER_OOM'> {
  const peakMB = Math.round(rssMB);
  return new BulkheadError(
    'ERR_WORKER_OOM',
    `plugin "${name}": worker killed by the memory watchdog: its RSS reached ${peakMB} MB, over its limit of ${limitMB} MB (limits.memoryMB, else resources.memoryMB)`,
    { limitMB, peakMB, exitCode: null, signal: 'SIGKILL', stderrTail: [] },
  );
}

/** Which way `limits.memoryMB` is enforced on this machine, and why (for doctor and the docs). */
export function memoryLimitMode(cgroupRoot = '/sys/fs/cgroup'): { mode: 'watchdog'; detail: string } {
  const controllers = `${cgroupRoot}/cgroup.controllers`;
  if (!existsSync(controllers)) {
    return {
      mode: 'watchdog',
      detail: `RSS watchdog (no cgroup v2 hierarchy at ${cgroupRoot}: cgroup v1 or none), plus the heap cap for Node workers`,
    };
  }
  const memory = readFileSync(controllers, 'utf8').split(/\s+/).includes('memory');
  return {
    mode: 'watchdog',
    detail: memory
      ? 'RSS watchdog, plus the heap cap for Node workers (cgroup v2 with the memory controller is here, but per-worker cgroups are not built yet)'
      : `RSS watchdog (cgroup v2 at ${cgroupRoot} has no memory controller), plus the heap cap for Node workers`,
  };
}
