/**
 * Which loaded plugins to evict: only idle ones (no call in flight), least recently used first.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';

export interface EvictionCandidate {
  name: string;
  idle: boolean;
  lastUsed: number;
  /** What unloading it frees, in MB. */
  memoryMB: number;
  gpuMemoryMB: number;
}

/** Idle candidates unused since before `cutoff`, oldest first. */
export function idleVictims(candidates: EvictionCandidate[], cutoff: number): EvictionCandidate[] {
  return candidates.filter((c) => c.idle && c.lastUsed < cutoff).sort((a, b) => a.lastUsed - b.lastUsed);
}

/**
 * The fewest least-recently-used idle plugins whose unloading frees `needMB` of RAM and
 * `needGpuMB` of GPU memory; undefined if even all idle ones would not be enough.
 */
export function victimsFor(
  candidates: EvictionCandidate[],
  needMB: number,
  needGpuMB: number,
): EvictionCandidate[] | undefined {
  const chosen: EvictionCandidate[] = [];
  let mem = 0;
  let gpu = 0;
  for (const c of [...candidates].filter((x) => x.idle).sort((a, b) => a.lastUsed - b.lastUsed)) {
    if (mem >= needMB && gpu >= needGpuMB) break;
    // Evicting a plugin that frees none of what is short would only cost a cold start later.
    const helps = (mem < needMB && c.memoryMB > 0) || (gpu < needGpuMB && c.gpuMemoryMB > 0);
    if (!helps) continue;
    chosen.push(c);
    mem += c.memoryMB;
    gpu += c.gpuMemoryMB;
  }
  return mem >= needMB && gpu >= needGpuMB ? chosen : undefined;
}

/**
 * Under a memory budget (`PluginManagerOptions.budget`): the idle plugins to unload so that one
 * needing `need` fits beside `others` (none when it already fits). Throws
 * ERR_INSUFFICIENT_RESOURCES when even unloading every idle one would not be enough.
 */
export function budgetVictims(
  name: string,
  need: { memoryMB?: number; gpuMemoryMB?: number },
  others: EvictionCandidate[],
  budget: { memoryMB?: number; gpuMemoryMB?: number },
): EvictionCandidate[] {
  const short = (limit: number | undefined, used: number, needed = 0) =>
    limit === undefined ? 0 : Math.max(0, used + needed - limit);
  const usedMem = others.reduce((s, c) => s + c.memoryMB, 0);
  const usedGpu = others.reduce((s, c) => s + c.gpuMemoryMB, 0);
  const shortMem = short(budget.memoryMB, usedMem, need.memoryMB);
  const shortGpu = short(budget.gpuMemoryMB, usedGpu, need.gpuMemoryMB);
  if (shortMem === 0 && shortGpu === 0) return [];
  const victims = victimsFor(others, shortMem, shortGpu);
  if (victims !== undefined) return victims;
  const [resource, needed, limit, used] =
    shortGpu > 0
      ? ['gpuMemoryMB', need.gpuMemoryMB ?? 0, budget.gpuMemoryMB ?? 0, usedGpu]
      : ['memoryMB', need.memoryMB ?? 0, budget.memoryMB ?? 0, usedMem];
  throw new BulkheadError(
    'ERR_INSUFFICIENT_RESOURCES',
    `plugin "${name}" needs ${needed} MB of ${resource === 'gpuMemoryMB' ? 'GPU memory' : 'RAM'}; the budget has ${Math.max(0, limit - used)} MB free and busy plugins cannot be evicted`,
    { resource, needed, free: Math.max(0, limit - used), unit: 'MB' },
  );
}
