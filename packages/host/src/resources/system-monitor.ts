/**
 * What the machine has and uses: CPU, memory, GPUs. The manager reads a {@link SystemMonitor};
 * {@link LocalSystemMonitor} measures the machine the host runs on, and a monitor plugin can
 * measure another one and return a {@link SystemSnapshot} from its execute, which the manager
 * checks with {@link parseSnapshot} before trusting it.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, freemem, loadavg, totalmem } from 'node:os';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { type CommandRunner, execCommandRunner } from './command-runner.js';
import { type GpuInfo, type GpuProcess, queryGpuProcesses, queryGpus } from './nvidia-smi.js';

/** One reading of the machine. Memory in MiB. */
export interface SystemSnapshot {
  /** Date.now() when taken (wall clock: snapshots may come from another process). */
  time: number;
  cpu: {
    model: string;
    cores: number;
    /** Busy share of all cores since the previous sample (the first: since boot), 0–100. */
    percent: number;
    loadavg: [number, number, number];
  };
  memory: {
    totalMB: number;
    /** Unused pages; low on any busy Linux box because the page cache fills them. */
    freeMB: number;
    /** What can be allocated without swapping (cache that can be dropped included): plan with this. */
    availableMB: number;
  };
  gpus: GpuInfo[];
}

/** A source of snapshots: this machine, or a monitor plugin measuring another one. */
export interface SystemMonitor {
  sample(): Promise<SystemSnapshot>;
  gpuProcesses(): Promise<GpuProcess[]>;
}

export interface LocalSystemMonitorOptions {
  /** Runs nvidia-smi; default {@link execCommandRunner}. Tests inject recorded output. */
  runCommand?: CommandRunner;
  /** Default `'nvidia-smi'`, found on the PATH. */
  nvidiaSmiPath?: string;
  /** How long nvidia-smi may take; default 10 s. */
  gpuTimeoutMs?: number;
}

const MiB = 1024 * 1024;

/**
 * Measures the machine this process runs on. GPUs come from nvidia-smi: none when it is missing or
 * there is no driver. An unexpected nvidia-smi failure (driver/library mismatch, a hang) does not
 * fail the sample: it reports no GPUs and keeps the error in {@link LocalSystemMonitor.gpuError},
 * because the CPU and memory figures are still good and the manager needs them.
 *
 * @example
 * const monitor = new LocalSystemMonitor();
 * const { cpu, memory, gpus } = await monitor.sample();
 * console.log(`${cpu.percent.toFixed(0)}% CPU, ${memory.availableMB} MB free, ${gpus.length} GPUs`);
 */
export class LocalSystemMonitor implements SystemMonitor {
  readonly #run: CommandRunner;
  readonly #gpuOptions: { nvidiaSmiPath?: string; timeoutMs?: number };
  #prevCpu: { busy: number; total: number } = { busy: 0, total: 0 };
  #cpuPercent = 0;
  #gpuError: unknown;
  // Callers polling faster than nvidia-smi answers share one run instead of piling them up.
  #gpusInFlight: Promise<GpuInfo[]> | undefined;

  constructor(options: LocalSystemMonitorOptions = {}) {
    this.#run = options.runCommand ?? execCommandRunner;
    this.#gpuOptions = { nvidiaSmiPath: options.nvidiaSmiPath, timeoutMs: options.gpuTimeoutMs };
  }

  /** Why the last GPU query failed, or undefined if it succeeded (no GPU is a success). */
  get gpuError(): unknown {
    return this.#gpuError;
  }

  async sample(): Promise<SystemSnapshot> {
    const [memory, gpus] = await Promise.all([readMemory(), this.#gpus()]);
    const all = cpus();
    let busy = 0;
    let total = 0;
    for (const { times } of all) {
      busy += times.user + times.nice + times.sys + times.irq;
      total += times.user + times.nice + times.sys + times.irq + times.idle;
    }
    const prev = this.#prevCpu;
    // Counters only grow, except when a CPU goes offline between samples: then count from boot.
    const since = total >= prev.total && busy >= prev.busy ? prev : { busy: 0, total: 0 };
    // Two samples within one clock tick see no change: repeat the last figure rather than report 0.
    if (total > since.total) {
      this.#cpuPercent = ((busy - since.busy) / (total - since.total)) * 100;
      this.#prevCpu = { busy, total };
    }
    const [one, five, fifteen] = loadavg() as [number, number, number];
    return {
      time: Date.now(),
      cpu: {
        model: all[0]?.model.trim() ?? '',
        // os.cpus() is empty on a few platforms (some sandboxes); never report zero cores.
        cores: all.length || availableParallelism(),
        percent: Math.min(100, Math.max(0, this.#cpuPercent)),
        loadavg: [one, five, fifteen],
      },
      memory,
      gpus,
    };
  }

  async gpuProcesses(): Promise<GpuProcess[]> {
    try {
      const processes = await queryGpuProcesses(this.#run, this.#gpuOptions);
      this.#gpuError = undefined;
      return processes;
    } catch (e) {
      this.#gpuError = e;
      return [];
    }
  }

  #gpus(): Promise<GpuInfo[]> {
    this.#gpusInFlight ??= queryGpus(this.#run, this.#gpuOptions)
      .then(
        (gpus) => {
          this.#gpuError = undefined;
          return gpus;
        },
        (e: unknown) => {
          this.#gpuError = e;
          return [];
        },
      )
      .finally(() => {
        this.#gpusInFlight = undefined;
      });
    return this.#gpusInFlight;
  }
}

/**
 * Total, free and available memory. os.freemem() is MemAvailable on recent Linux (libuv) but
 * MemFree on older Node; /proc/meminfo says which is which, so read it where it exists.
 */
async function readMemory(): Promise<SystemSnapshot['memory']> {
  const totalMB = Math.floor(totalmem() / MiB);
  let meminfo = '';
  try {
    meminfo = await readFile('/proc/meminfo', 'utf8');
  } catch {
    // not Linux
  }
  const kB = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(meminfo);
    return m === null ? undefined : Math.floor(Number(m[1]) / 1024);
  };
  const fallback = Math.floor(freemem() / MiB);
  return { totalMB, freeMB: kB('MemFree') ?? fallback, availableMB: kB('MemAvailable') ?? fallback };
}

/**
 * Checks a snapshot made by someone else (a monitor plugin) and returns a clean copy holding only
 * the known fields. Throws `ERR_INVALID_ARGUMENT` naming the first bad field in `message` and in
 * `data.field` (e.g. `gpus[1].memoryFreeMB`).
 *
 * @example
 * const snapshot = parseSnapshot(await monitorPlugin.execute({}));
 */
export function parseSnapshot(value: unknown): SystemSnapshot {
  // Checked in the order of the interface, so the error names the first bad field.
  const root = object(value, 'snapshot');
  const time = number(root.time, 'time', 0);
  const cpu = object(root.cpu, 'cpu');
  const model = string(cpu.model, 'cpu.model');
  const cores = integer(cpu.cores, 'cpu.cores', 1);
  const percent = number(cpu.percent, 'cpu.percent', 0, 100);
  const load = cpu.loadavg;
  if (!Array.isArray(load) || load.length !== 3) fail('cpu.loadavg', 'an array of 3 numbers', load);
  const loadavg: [number, number, number] = [
    number(load[0], 'cpu.loadavg[0]', 0),
    number(load[1], 'cpu.loadavg[1]', 0),
    number(load[2], 'cpu.loadavg[2]', 0),
  ];
  const mem = object(root.memory, 'memory');
  const memory = {
    totalMB: number(mem.totalMB, 'memory.totalMB', 0),
    freeMB: number(mem.freeMB, 'memory.freeMB', 0),
    availableMB: number(mem.availableMB, 'memory.availableMB', 0),
  };
  const gpus = root.gpus;
  if (!Array.isArray(gpus)) fail('gpus', 'an array', gpus);
  return {
    time,
    cpu: { model, cores, percent, loadavg },
    memory,
    gpus: gpus.map((g: unknown, i: number) => parseGpu(g, `gpus[${i}]`)),
  };
}

function parseGpu(value: unknown, at: string): GpuInfo {
  const g = object(value, at);
  return {
    index: integer(g.index, `${at}.index`, 0),
    uuid: string(g.uuid, `${at}.uuid`),
    name: string(g.name, `${at}.name`),
    memoryTotalMB: number(g.memoryTotalMB, `${at}.memoryTotalMB`, 0),
    memoryUsedMB: number(g.memoryUsedMB, `${at}.memoryUsedMB`, 0),
    memoryFreeMB: number(g.memoryFreeMB, `${at}.memoryFreeMB`, 0),
    utilizationPercent: number(g.utilizationPercent, `${at}.utilizationPercent`, 0, 100),
    temperatureC: g.temperatureC === null ? null : number(g.temperatureC, `${at}.temperatureC`),
    powerW: g.powerW === null ? null : number(g.powerW, `${at}.powerW`, 0),
  };
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'an object', value);
  return value as Record<string, unknown>;
}

function string(value: unknown, field: string): string {
  if (typeof value !== 'string') fail(field, 'a string', value);
  return value;
}

function number(value: unknown, field: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = max < Infinity ? ` from ${min} to ${max}` : min > -Infinity ? ` ≥ ${min}` : '';
    fail(field, `a finite number${range}`, value);
  }
  return value;
}

function integer(value: unknown, field: string, min: number): number {
  if (!Number.isInteger(value) || (value as number) < min) fail(field, `an integer ≥ ${min}`, value);
  return value as number;
}

function fail(field: string, expected: string, got: unknown): never {
  const shown = got === undefined ? 'undefined' : (JSON.stringify(got)?.slice(0, 60) ?? String(got));
  throw new BulkheadError(
    'ERR_INVALID_ARGUMENT',
    `Invalid system snapshot: ${field} must be ${expected}, got ${shown}`,
    {
      field,
    },
  );
}
