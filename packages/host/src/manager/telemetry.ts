/**
 * Per-plugin telemetry: CPU and RSS summed over the worker's whole process group (the plugin's own
 * children count), and GPU memory of those processes from nvidia-smi — one nvidia-smi call for any
 * number of plugins.
 * @module
 */
import type { PluginProcess } from '../process/plugin-process.js';
import { type GroupSample, type SystemMonitor, sampleGroups } from '../resources/index.js';
import type { PluginState, PluginTelemetry } from './types.js';

/** The previous sample of a plugin's group, for CPU % between samples. */
export interface GroupCpu {
  last: GroupSample | null;
  rssBytes?: number;
}

export interface TelemetryTarget {
  plugin: { manifest: { name: string } };
  proc: PluginProcess | null;
  state: PluginState;
  inFlight: number;
  calls: number;
  errors: number;
  lastDurationMs: number | null;
  loadedAt: number | null;
  cpu: GroupCpu;
}

/** `clock`: the manager's (`loadedAt` was read on it). */
export async function collectTelemetry(
  targets: TelemetryTarget[],
  monitor: SystemMonitor,
  clock: () => number = Date.now,
): Promise<PluginTelemetry[]> {
  const running = targets.filter((t) => t.proc?.pid !== undefined && t.proc.alive);
  // One /proc scan for every group, one nvidia-smi run for every plugin.
  const [samples, gpuProcs] = await Promise.all([
    sampleGroups(running.map((t) => t.proc?.pid as number)),
    running.length > 0 ? monitor.gpuProcesses().catch(() => []) : Promise.resolve([]),
  ]);
  const byTarget = new Map(running.map((t) => [t, samples.get(t.proc?.pid as number)]));
  const now = clock();
  return targets.map((t) => {
    const sample = byTarget.get(t);
    const base: PluginTelemetry = {
      name: t.plugin.manifest.name,
      state: t.state,
      pid: t.proc?.pid ?? null,
      pids: [],
      cpuPercent: 0,
      rssBytes: 0,
      gpuMemoryMB: 0,
      uptimeMs: t.loadedAt ? now - t.loadedAt : 0,
      calls: t.calls,
      errors: t.errors,
      inFlight: t.inFlight,
      lastDurationMs: t.lastDurationMs,
    };
    if (!sample) return base;
    const prev = t.cpu.last;
    const wall = prev ? sample.at - prev.at : base.uptimeMs;
    const cpuMs = prev ? sample.cpuMs - prev.cpuMs : sample.cpuMs;
    t.cpu = { last: sample, rssBytes: sample.rssBytes };
    const pids = new Set(sample.pids);
    return {
      ...base,
      pids: sample.pids,
      cpuPercent: wall > 0 ? Math.max(0, (cpuMs / wall) * 100) : 0,
      rssBytes: sample.rssBytes,
      gpuMemoryMB: gpuProcs.filter((g) => pids.has(g.pid)).reduce((sum, g) => sum + g.usedMemoryMB, 0),
    };
  });
}
