/**
 * What the host enforces on a running worker, from its manifest's `limits`: a memory limit (a
 * Node worker's heap cap, set where it is spawned, plus a memory cgroup per worker or an RSS
 * watchdog over its whole process group) and recycling (a fresh worker after N calls, once its
 * RSS grew by X MiB, or once its GPU memory did not come back after calls: gpu-recycling.ts).
 *
 * The memory mode ({@link memoryLimitMode}): a cgroup per worker where this machine has a
 * writable memory hierarchy, v2 first, then v1 (process/cgroup-memory.ts: the kernel enforces
 * the limit exactly), else the watchdog, which samples /proc (the same scan telemetry uses), so
 * a group can pass its limit by what it allocates between two samples
 * (`limits.watchdogIntervalMs`, 250 ms by default) before it is killed.
 * @module
 */
import { readFileSync } from 'node:fs';
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { PluginLimits, PluginManifest } from '../manifest/index.js';
import {
  type CgroupPaths,
  type MemoryHierarchy,
  probeMemoryHierarchy,
  type WorkerCgroupOptions,
} from '../process/cgroup-memory.js';
import type { PluginProcess } from '../process/plugin-process.js';
import { type CommandRunner, execCommandRunner } from '../resources/command-runner.js';
import { sampleGroup } from '../resources/process-group.js';
import { GpuLeakWatch } from './gpu-recycling.js';
import type { ManagedPlugin } from './managed-plugin.js';

/** How `limits.memoryMB` is enforced: `auto` picks cgroup v2, then cgroup v1, then the watchdog. */
export type MemoryLimitSetting = 'auto' | 'cgroup-v2' | 'cgroup-v1' | 'watchdog' | 'off';

export interface WorkerLimitsOptions {
  /**
   * `auto` (the default): a memory cgroup per worker where the machine allows (v2, else v1),
   * else the RSS watchdog; `cgroup-v2` / `cgroup-v1`: that or a start fails; `watchdog`: the RSS
   * watchdog; `off`: only a Node worker's heap cap. Host setting `limits.memory`.
   */
  memory?: MemoryLimitSetting;
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
  options: (WorkerLimitsOptions & { runCommand?: CommandRunner }) | undefined,
  act: LimitActions,
): void {
  const pid = proc.pid;
  if (limits === undefined || pid === undefined) return;
  const callsAtStart = m.calls;
  const watchMemory = limits.memoryMB !== undefined && memoryLimitMode(options?.memory).mode === 'watchdog';
  const gpu =
    limits.recycleAfterGpuLeakMB === undefined
      ? null
      : new GpuLeakWatch({
          run: options?.runCommand ?? execCommandRunner,
          pids: async () => (await sampleGroup(pid))?.pids ?? [pid],
          thresholdMB: limits.recycleAfterGpuLeakMB,
        });
  // The baseline is read now, synchronously: a first call could grow it before any sample.
  let baselineMB: number | null = leaderRssMB(pid);
  let lastMB: number | null = null;
  let done = false;
  const current = () => !done && m.proc === proc && proc.alive;
  const finish = () => {
    done = true;
    if (timer !== undefined) clearInterval(timer);
    // Only this worker's hook: a replacement may have set its own already.
    if (m.afterCall === afterCall) m.afterCall = null;
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
  // After calls, once idle: did the GPU memory come back? (Asynchronous: nvidia-smi runs.)
  const afterCall = () => {
    recycleIfDue();
    if (gpu === null || !current() || m.inFlight > 0) return;
    void gpu.check().then((verdict) => {
      if (verdict === null || !verdict.leaked || !current() || m.inFlight > 0) return;
      finish();
      act.recycle(
        `its GPU memory did not come back after calls: ${verdict.nowMB} MB held, ${verdict.baselineMB} MB when it loaded (limits.recycleAfterGpuLeakMB ${limits.recycleAfterGpuLeakMB})`,
      );
    });
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
  const recycles = [limits.recycleAfterCalls, limits.recycleAfterGrowthMB, limits.recycleAfterGpuLeakMB];
  if (recycles.some((r) => r !== undefined)) m.afterCall = afterCall;
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

/** Which way `limits.memoryMB` is enforced, and why (for doctor, the docs and the worker's start). */
export interface MemoryLimitMode {
  mode: 'cgroup-v2' | 'cgroup-v1' | 'watchdog' | 'off';
  /** The hierarchy worker cgroups go in (the cgroup modes). */
  hierarchy?: MemoryHierarchy;
  detail: string;
}

const HEAP = 'plus the heap cap for Node workers';
const cache = new Map<string, MemoryLimitMode>();

/**
 * The mode `setting` gives on this machine (probed once per process for the real paths):
 * `auto` is cgroup v2, else cgroup v1, else the RSS watchdog, each fallback saying why. A cgroup
 * mode asked for by name that this machine cannot give is ERR_INVALID_ARGUMENT, with the reason.
 */
export function memoryLimitMode(setting: MemoryLimitSetting = 'auto', paths?: CgroupPaths): MemoryLimitMode {
  const key = `${setting}\0${paths?.root ?? ''}\0${paths?.selfCgroup ?? ''}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const mode = resolveMode(setting, paths);
  cache.set(key, mode);
  return mode;
}

function resolveMode(setting: MemoryLimitSetting, paths: CgroupPaths | undefined): MemoryLimitMode {
  if (setting === 'off') return { mode: 'off', detail: `only the heap cap for Node workers (limits.memory is off)` };
  if (setting === 'watchdog') return { mode: 'watchdog', detail: `RSS watchdog (limits.memory is watchdog), ${HEAP}` };
  const whyNot: string[] = [];
  for (const version of [2, 1] as const) {
    const name = `cgroup-v${version}` as const;
    if (setting !== 'auto' && setting !== name) continue;
    const probe = probeMemoryHierarchy(version, paths);
    if (probe.ok) {
      const file = version === 2 ? 'memory.max' : 'memory.limit_in_bytes';
      return {
        mode: name,
        hierarchy: probe.hierarchy,
        detail: `cgroup v${version}: a memory cgroup per worker (${file}) under ${probe.hierarchy.own}, ${HEAP}${whyNot.length ? ` (${whyNot.join('; ')})` : ''}`,
      };
    }
    if (setting === name)
      throw new BulkheadError(
        'ERR_INVALID_ARGUMENT',
        `limits.memory is ${name}, but this machine cannot give it: ${probe.why} (use auto to fall back)`,
        { field: 'limits.memory' },
      );
    whyNot.push(probe.why);
  }
  return { mode: 'watchdog', detail: `RSS watchdog (${whyNot.join('; ')}), ${HEAP}` };
}

/**
 * The `memoryCgroup` option a worker of these limits starts with (none without a memory limit or
 * outside the cgroup modes). Throws what {@link memoryLimitMode} throws.
 */
export function memoryCgroupFor(
  name: string,
  limits: EnforcedLimits | undefined,
  options: WorkerLimitsOptions | undefined,
): { memoryCgroup?: WorkerCgroupOptions } {
  if (limits?.memoryMB === undefined) return {};
  const { hierarchy } = memoryLimitMode(options?.memory);
  return hierarchy === undefined ? {} : { memoryCgroup: { hierarchy, limitMB: limits.memoryMB, name } };
}
