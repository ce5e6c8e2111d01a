/**
 * Resource telemetry: the machine (CPU, memory, GPUs through nvidia-smi) and what each worker's
 * process group holds. The manager builds its scheduling and eviction on these.
 * @module
 */

// Running commands (nvidia-smi), injectable for tests
export {
  type CommandResult,
  type CommandRunner,
  DEFAULT_COMMAND_TIMEOUT_MS,
  execCommandRunner,
} from './command-runner.js';
// NVIDIA GPUs
export {
  GPU_PROCESS_QUERY_ARGS,
  GPU_QUERY_ARGS,
  type GpuInfo,
  type GpuProcess,
  type NvidiaSmiOptions,
  parseGpuCsv,
  parseGpuProcessCsv,
  queryGpuProcesses,
  queryGpus,
} from './nvidia-smi.js';
// Process groups (one per worker)
export { type GroupSample, sampleGroup, sampleGroups } from './process-group.js';
// The machine
export {
  LocalSystemMonitor,
  type LocalSystemMonitorOptions,
  parseSnapshot,
  type SystemMonitor,
  type SystemSnapshot,
} from './system-monitor.js';
