/**
 * Which loaded plugins to evict: only idle ones (no call in flight), least recently used first.
 * @module
 */

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
