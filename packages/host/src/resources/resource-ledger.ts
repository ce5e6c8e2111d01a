/**
 * What is free for the next job: what the monitor measures as free, minus the reservations of
 * jobs already admitted and not finished.
 *
 * Measurements alone miss jobs admitted a moment ago that have not allocated yet (two jobs
 * admitted in the same instant would both see the whole GPU free: the reference design's bug).
 * Subtracting reservations closes that hole. The price: a running job that has already allocated
 * its memory is counted twice (in the measurement and in its reservation), so admission errs on
 * the safe side and may leave room unused until the job ends. Reservations are released on every
 * ending (finish, failure, cancel, crash).
 * @module
 */
import type { GpuInfo } from './nvidia-smi.js';
import type { SystemMonitor, SystemSnapshot } from './system-monitor.js';

/** What a job (or plugin) needs. `gpuMemoryMB` is per GPU; `gpus` defaults to 1 when it is set. */
export interface ResourceNeeds {
  memoryMB?: number;
  gpuMemoryMB?: number;
  gpus?: number;
  cpus?: number;
}

/** Does `needs` ask for anything (so admitting it takes a measurement)? */
export function hasNeeds(needs: ResourceNeeds): boolean {
  return Object.values(needs).some((v) => typeof v === 'number' && v > 0);
}

export interface Reservation {
  id: string;
  needs: ResourceNeeds;
  /** GPU indexes assigned to the job. */
  gpus: number[];
}

export type FitResult =
  | { ok: true; gpus: number[] }
  | {
      ok: false;
      resource: 'memoryMB' | 'gpuMemoryMB' | 'gpus' | 'cpus';
      needed: number;
      free: number;
      unit: string;
      why: string;
    };

export interface LedgerView {
  time: number;
  memory: { capacityMB: number; reservedMB: number; freeMB: number };
  cpus: { capacity: number; reserved: number; free: number };
  gpus: { index: number; name: string; capacityMB: number; reservedMB: number; freeMB: number; jobs: number }[];
  reservations: Reservation[];
}

export class ResourceLedger {
  readonly #monitor: SystemMonitor;
  readonly #reservations = new Map<string, Reservation>();
  #snapshot: SystemSnapshot | null = null;
  #refreshing: Promise<SystemSnapshot> | null = null;

  constructor(monitor: SystemMonitor) {
    this.#monitor = monitor;
  }

  /** Takes a fresh measurement (concurrent callers share one). */
  refresh(): Promise<SystemSnapshot> {
    this.#refreshing ??= this.#monitor.sample().then(
      (s) => {
        this.#snapshot = s;
        this.#refreshing = null;
        return s;
      },
      (e) => {
        this.#refreshing = null;
        throw e;
      },
    );
    return this.#refreshing;
  }

  get measured(): SystemSnapshot | null {
    return this.#snapshot;
  }

  /** Would `needs` fit now? Pure arithmetic on the last measurement: microseconds. */
  fit(needs: ResourceNeeds): FitResult {
    const s = this.#snapshot;
    const memoryMB = needs.memoryMB ?? 0;
    const cpus = needs.cpus ?? 0;
    const gpuMemoryMB = needs.gpuMemoryMB ?? 0;
    const gpusNeeded = needs.gpus ?? (gpuMemoryMB > 0 ? 1 : 0);
    if (memoryMB > 0) {
      const free = this.#freeMemory();
      if (memoryMB > free)
        return refuse('memoryMB', memoryMB, free, 'MB', `needs ${memoryMB} MB of RAM, ${free} MB free`);
    }
    if (cpus > 0) {
      const free = (s?.cpu.cores ?? 0) - this.#reserved((r) => r.needs.cpus ?? 0);
      if (cpus > free) return refuse('cpus', cpus, free, 'CPUs', `needs ${cpus} CPUs, ${free} free`);
    }
    if (gpusNeeded === 0) return { ok: true, gpus: [] };
    const gpus = this.#gpuFree();
    if (gpus.length < gpusNeeded) {
      return refuse(
        'gpus',
        gpusNeeded,
        gpus.length,
        'GPUs',
        `needs ${gpusNeeded} GPU(s), this machine has ${gpus.length}`,
      );
    }
    // Best fit: the GPUs with the least free memory that still suffices, so big GPUs stay
    // whole for big jobs.
    const fitting = gpus.filter((g) => g.freeMB >= gpuMemoryMB).sort((a, b) => a.freeMB - b.freeMB);
    if (fitting.length < gpusNeeded) {
      const largest = gpus.reduce((best, g) => (g.freeMB > best.freeMB ? g : best), gpus[0] as (typeof gpus)[number]);
      return refuse(
        'gpuMemoryMB',
        gpuMemoryMB,
        largest.freeMB,
        'MB',
        gpusNeeded === 1
          ? `needs ${gpuMemoryMB} MB of GPU memory, largest free is ${largest.freeMB} MB on GPU ${largest.index}`
          : `needs ${gpuMemoryMB} MB on each of ${gpusNeeded} GPUs, only ${fitting.length} have that much free`,
      );
    }
    return { ok: true, gpus: fitting.slice(0, gpusNeeded).map((g) => g.index) };
  }

  /** Reserves what `fit` found; returns undefined if it no longer fits. */
  reserve(id: string, needs: ResourceNeeds): Reservation | FitResult {
    const fit = this.fit(needs);
    if (!fit.ok) return fit;
    const r: Reservation = { id, needs, gpus: fit.gpus };
    this.#reservations.set(id, r);
    return r;
  }

  /** Reserves without checking (the permissive policy still accounts for what runs). */
  force(id: string, needs: ResourceNeeds): Reservation {
    const fit = this.fit(needs);
    const r: Reservation = { id, needs, gpus: fit.ok ? fit.gpus : [] };
    this.#reservations.set(id, r);
    return r;
  }

  release(id: string): boolean {
    return this.#reservations.delete(id);
  }

  /** Could `needs` ever fit on this machine, with nothing else running? */
  possible(needs: ResourceNeeds): FitResult {
    const s = this.#snapshot;
    const memoryMB = needs.memoryMB ?? 0;
    if (s && memoryMB > s.memory.totalMB)
      return refuse(
        'memoryMB',
        memoryMB,
        s.memory.totalMB,
        'MB',
        `needs ${memoryMB} MB of RAM, the machine has ${s.memory.totalMB} MB`,
      );
    const cpus = needs.cpus ?? 0;
    if (s && cpus > s.cpu.cores)
      return refuse('cpus', cpus, s.cpu.cores, 'CPUs', `needs ${cpus} CPUs, the machine has ${s.cpu.cores}`);
    const gpuMemoryMB = needs.gpuMemoryMB ?? 0;
    const gpusNeeded = needs.gpus ?? (gpuMemoryMB > 0 ? 1 : 0);
    if (gpusNeeded === 0) return { ok: true, gpus: [] };
    const all = s?.gpus ?? [];
    const big = all.filter((g) => g.memoryTotalMB >= gpuMemoryMB);
    if (big.length < gpusNeeded) {
      const largest = Math.max(0, ...all.map((g) => g.memoryTotalMB));
      return refuse(
        all.length < gpusNeeded ? 'gpus' : 'gpuMemoryMB',
        all.length < gpusNeeded ? gpusNeeded : gpuMemoryMB,
        all.length < gpusNeeded ? all.length : largest,
        all.length < gpusNeeded ? 'GPUs' : 'MB',
        all.length < gpusNeeded
          ? `needs ${gpusNeeded} GPU(s), the machine has ${all.length}`
          : `needs ${gpuMemoryMB} MB of GPU memory, the largest GPU has ${largest} MB`,
      );
    }
    return { ok: true, gpus: [] };
  }

  view(): LedgerView {
    const s = this.#snapshot;
    const capacityMB = s?.memory.totalMB ?? 0;
    const reservedMB = this.#reserved((r) => r.needs.memoryMB ?? 0);
    const cores = s?.cpu.cores ?? 0;
    const reservedCpus = this.#reserved((r) => r.needs.cpus ?? 0);
    return {
      time: s?.time ?? 0,
      memory: { capacityMB, reservedMB, freeMB: this.#freeMemory() },
      cpus: { capacity: cores, reserved: reservedCpus, free: cores - reservedCpus },
      gpus: this.#gpuFree().map((g) => ({
        index: g.index,
        name: g.name,
        capacityMB: g.capacityMB,
        reservedMB: g.reservedMB,
        freeMB: g.freeMB,
        jobs: g.jobs,
      })),
      reservations: [...this.#reservations.values()],
    };
  }

  #reserved(of: (r: Reservation) => number): number {
    let sum = 0;
    for (const r of this.#reservations.values()) sum += of(r);
    return sum;
  }

  #freeMemory(): number {
    const s = this.#snapshot;
    if (!s) return 0;
    return Math.max(0, s.memory.availableMB - this.#reserved((r) => r.needs.memoryMB ?? 0));
  }

  #gpuFree(): { index: number; name: string; capacityMB: number; reservedMB: number; freeMB: number; jobs: number }[] {
    const gpus: GpuInfo[] = this.#snapshot?.gpus ?? [];
    return gpus.map((g) => {
      let reservedMB = 0;
      let jobs = 0;
      for (const r of this.#reservations.values()) {
        if (r.gpus.includes(g.index)) {
          reservedMB += r.needs.gpuMemoryMB ?? 0;
          jobs++;
        }
      }
      return {
        index: g.index,
        name: g.name,
        capacityMB: g.memoryTotalMB,
        reservedMB,
        jobs,
        freeMB: Math.max(0, g.memoryFreeMB - reservedMB),
      };
    });
  }
}

function refuse(
  resource: 'memoryMB' | 'gpuMemoryMB' | 'gpus' | 'cpus',
  needed: number,
  free: number,
  unit: string,
  why: string,
): FitResult {
  return { ok: false, resource, needed, free, unit, why };
}
