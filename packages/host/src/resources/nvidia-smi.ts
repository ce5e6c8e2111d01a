/**
 * NVIDIA GPUs and the processes using them, read through `nvidia-smi`'s CSV queries. nvidia-smi
 * ships with the driver on every platform, so this needs no native binding; a machine without it,
 * or without a working driver, simply has no GPUs.
 *
 * Parsing is lenient by line: a row that cannot be read (wrong field count, a memory figure that is
 * not a number) is skipped, so one GPU in a bad state does not hide the others.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import { type CommandRunner, DEFAULT_COMMAND_TIMEOUT_MS } from './command-runner.js';

/** One GPU as `nvidia-smi --query-gpu` reports it. Memory in MiB, as nvidia-smi counts it. */
export interface GpuInfo {
  index: number;
  uuid: string;
  name: string;
  memoryTotalMB: number;
  /**
   * `memoryUsedMB + memoryFreeMB` is less than `memoryTotalMB`: the driver reserves some memory
   * (480 MiB on an H100). Use `memoryFreeMB` for what can still be allocated.
   */
  memoryUsedMB: number;
  memoryFreeMB: number;
  /** 0 where the GPU does not report it ("[N/A]" in MIG mode): read it as "unknown", not "idle". */
  utilizationPercent: number;
  temperatureC: number | null;
  powerW: number | null;
}

/** One process holding GPU memory (`nvidia-smi --query-compute-apps`). */
export interface GpuProcess {
  /** As the driver sees it: inside a container without the host's pid namespace it may not match. */
  pid: number;
  processName: string;
  /** 0 where the driver does not report it ("[N/A]" under Windows WDDM and some MIG setups). */
  usedMemoryMB: number;
  gpuUuid: string;
}

/** Options for {@link queryGpus} and {@link queryGpuProcesses}. */
export interface NvidiaSmiOptions {
  /** Default `'nvidia-smi'`, found on the PATH. */
  nvidiaSmiPath?: string;
  /** Default 10 s: without persistence mode, nvidia-smi initialises the driver on every run. */
  timeoutMs?: number;
}

export const GPU_QUERY_ARGS: readonly string[] = [
  '--query-gpu=index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,temperature.gpu,power.draw',
  '--format=csv,noheader,nounits',
];

export const GPU_PROCESS_QUERY_ARGS: readonly string[] = [
  '--query-compute-apps=pid,process_name,used_memory,gpu_uuid',
  '--format=csv,noheader,nounits',
];

/**
 * The GPUs of this machine; [] when nvidia-smi is not installed, there is no working driver, or no
 * GPU is present. Rejects (`ERR_INTERNAL`, with the exit code and stderr in `data`) only when
 * nvidia-smi exists but fails some other way, e.g. a driver/library version mismatch, or with
 * `ERR_TIMEOUT` when it hangs.
 *
 * @example
 * const gpus = await queryGpus(execCommandRunner);
 * const free = gpus.reduce((sum, g) => sum + g.memoryFreeMB, 0);
 */
export async function queryGpus(run: CommandRunner, options: NvidiaSmiOptions = {}): Promise<GpuInfo[]> {
  const stdout = await runNvidiaSmi(run, GPU_QUERY_ARGS, options);
  return stdout === undefined ? [] : parseGpuCsv(stdout);
}

/**
 * The processes holding GPU memory; [] in the same cases as {@link queryGpus}.
 *
 * @example
 * const mine = (await queryGpuProcesses(execCommandRunner)).filter((p) => groupPids.has(p.pid));
 */
export async function queryGpuProcesses(run: CommandRunner, options: NvidiaSmiOptions = {}): Promise<GpuProcess[]> {
  const stdout = await runNvidiaSmi(run, GPU_PROCESS_QUERY_ARGS, options);
  return stdout === undefined ? [] : parseGpuProcessCsv(stdout);
}

/**
 * Parses `--query-gpu=index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,
 * temperature.gpu,power.draw` output. Accepts `nounits` or not, and skips a header line.
 *
 * @example
 * parseGpuCsv('0, GPU-e837…, NVIDIA H100 80GB HBM3, 81559, 0, 81079, 0, 35, 125.64\n')[0]?.memoryFreeMB // 81079
 */
export function parseGpuCsv(text: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of lines(text)) {
    // The name is the only free-text field: take it as whatever lies between the fixed fields.
    const row = splitRow(line, 2, 6);
    if (row === undefined) continue;
    const [index, uuid] = row.head as [string, string];
    const [total, used, free, util, temp, power] = row.tail as [string, string, string, string, string, string];
    const gpu: GpuInfo = {
      index: Number(index),
      uuid,
      name: row.middle,
      memoryTotalMB: num(total) ?? Number.NaN,
      memoryUsedMB: num(used) ?? Number.NaN,
      memoryFreeMB: num(free) ?? Number.NaN,
      utilizationPercent: num(util) ?? 0,
      temperatureC: num(temp),
      powerW: num(power),
    };
    const usable =
      /^\d+$/.test(index) &&
      uuid !== '' &&
      Number.isFinite(gpu.memoryTotalMB) &&
      Number.isFinite(gpu.memoryUsedMB) &&
      Number.isFinite(gpu.memoryFreeMB);
    if (usable) gpus.push(gpu);
  }
  return gpus;
}

/**
 * Parses `--query-compute-apps=pid,process_name,used_memory,gpu_uuid` output. Process names are
 * full paths on some systems and may contain commas; they are kept whole.
 *
 * @example
 * parseGpuProcessCsv('445, python3, 6242, GPU-e837…\n') // [{ pid: 445, processName: 'python3', usedMemoryMB: 6242, … }]
 */
export function parseGpuProcessCsv(text: string): GpuProcess[] {
  const processes: GpuProcess[] = [];
  for (const line of lines(text)) {
    const row = splitRow(line, 1, 2);
    if (row === undefined) continue;
    const [pid] = row.head as [string];
    const [used, gpuUuid] = row.tail as [string, string];
    if (!/^\d+$/.test(pid) || gpuUuid === '') continue;
    processes.push({ pid: Number(pid), processName: row.middle, usedMemoryMB: num(used) ?? 0, gpuUuid });
  }
  return processes;
}

/** nvidia-smi's stdout, or undefined when the machine has no usable NVIDIA GPU. */
async function runNvidiaSmi(
  run: CommandRunner,
  args: readonly string[],
  options: NvidiaSmiOptions,
): Promise<string | undefined> {
  const file = options.nvidiaSmiPath ?? 'nvidia-smi';
  let result: Awaited<ReturnType<CommandRunner>>;
  try {
    result = await run(file, args, { timeoutMs: options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS });
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
    throw e;
  }
  if (result.exitCode === 0) return result.stdout;
  const output = `${result.stdout}\n${result.stderr}`;
  // "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver": tools installed,
  // no driver (a container without the GPU passed in). "No devices were found": driver, no GPU.
  if (/NVIDIA-SMI has failed|No devices were found/i.test(output)) return undefined;
  const firstLine = output.trim().split('\n')[0] ?? '';
  throw new BulkheadError('ERR_INTERNAL', `${file} exited with code ${result.exitCode}: ${firstLine}`, {
    file,
    args: [...args],
    exitCode: result.exitCode,
    stderr: result.stderr.trim(),
  });
}

function* lines(text: string): Generator<string> {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    // Blank lines, and the header that `--format=csv` without `noheader` adds.
    if (line === '' || /^(index|pid),/.test(line)) continue;
    yield line;
  }
}

/**
 * Splits a row into `head` fields, `tail` fields and the text between them, which may itself hold
 * commas (nvidia-smi does not quote). Undefined when the row has too few fields.
 */
function splitRow(
  line: string,
  head: number,
  tail: number,
): { head: string[]; middle: string; tail: string[] } | undefined {
  const parts = line.split(',');
  if (parts.length < head + 1 + tail) return undefined;
  return {
    head: parts.slice(0, head).map((s) => s.trim()),
    middle: parts
      .slice(head, parts.length - tail)
      .join(',')
      .trim(),
    tail: parts.slice(parts.length - tail).map((s) => s.trim()),
  };
}

/**
 * A number, with or without its unit ("81559", "81559 MiB", "125.62 W", "0 %"); null for what
 * nvidia-smi prints instead of a value: "[N/A]", "[Not Supported]", "[Unknown Error]", "N/A".
 */
function num(field: string): number | null {
  const m = /^(-?\d+(?:\.\d+)?)(?:\s*[A-Za-z%]+)?$/.exec(field);
  return m === null ? null : Number(m[1]);
}
