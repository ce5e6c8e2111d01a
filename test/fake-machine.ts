/**
 * A simulated machine for admission: a SystemMonitor that reports what the test says (and what it
 * changes in `snapshot` later), for the scheduler and queue tests.
 * @module
 */
import type { SystemMonitor, SystemSnapshot } from 'bulkhead';

/**
 * `memoryMB` of RAM, all of it free, and one GPU per entry of `gpus`: its memory in MB, all free,
 * or `[total, free]`. `over` replaces whole parts of the snapshot.
 */
export function fakeMachine(
  memoryMB = 16_000,
  gpus: (number | [total: number, free: number])[] = [],
  over: Partial<SystemSnapshot> = {},
): SystemMonitor & { snapshot: SystemSnapshot } {
  const snapshot: SystemSnapshot = {
    time: Date.now(),
    cpu: { model: 'fake', cores: 8, percent: 0, loadavg: [0, 0, 0] },
    memory: { totalMB: memoryMB, freeMB: memoryMB, availableMB: memoryMB },
    gpus: gpus.map((gpu, index) => {
      const [total, free] = typeof gpu === 'number' ? [gpu, gpu] : gpu;
      return {
        index,
        uuid: `GPU-${index}`,
        name: 'Fake GPU',
        memoryTotalMB: total,
        memoryUsedMB: total - free,
        memoryFreeMB: free,
        utilizationPercent: 0,
        temperatureC: null,
        powerW: null,
      };
    }),
    ...over,
  };
  return {
    snapshot,
    async sample() {
      return { ...snapshot, time: Date.now() };
    },
    async gpuProcesses() {
      return [];
    },
  };
}
