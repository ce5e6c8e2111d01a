/**
 * `bulkhead`: what an application imports to run plugins: one in its own process
 * (`PluginProcess`), many (`PluginManager`), jobs on them (`JobQueue`), and reaching the process
 * that runs a home's queue. The rest lives in subpaths: `bulkhead/install` (installing plugins),
 * `bulkhead/store` (writing a job store, with its conformance suite), `bulkhead/sqlite`,
 * `bulkhead/server`, `bulkhead/client`.
 * Any new export added here becomes public API. Named exports only; a test pins the surface.
 * @module
 */

// Errors (the same registry the worker uses; the whole registry is @bulkhead/sdk/errors)
export {
  BulkheadError,
  type BulkheadErrorCode,
  type ConfigIssue,
  type ErrorData,
  type ErrorDataMap,
  isBulkheadError,
  toBulkheadError,
} from '@bulkhead/sdk/errors';
// The home's config.yaml (scheduler policy, budgets, retention, timeouts), for applications too.
export {
  HOST_SETTINGS,
  type HostConfig,
  type HostSetting,
  hostConfigPath,
  loadHostConfig,
  managerOptionsOf,
  queueOptionsOf,
  type SettingSource,
} from './config/host-config.js';
export type { SettingKind } from './config/setting-kinds.js';
// Reaching the process that runs a home's queue (docs/control.md)
export {
  type ConnectControlOptions,
  ControlServer,
  type ControlServerEvents,
  type ControlServerOptions,
  connectControl,
  type HelloResult,
  type JobWatchEvent,
  LocalQueueClient,
  type LocalQueueClientOptions,
  type PluginSchemas,
  type QueueClient,
  RemoteQueueClient,
  type RemoteQueueClientEvents,
  type SystemView,
  serveControl,
} from './control/index.js';
export type { Availability, BreakerState } from './manager/circuit-breaker.js';
export type { RestartPolicy } from './manager/crash-policy.js';
export type { PluginLogOptions } from './manager/plugin-log.js';
// Managing many plugins
export { PluginManager } from './manager/plugin-manager.js';
export type {
  ConfigApplied,
  PluginManagerEvents,
  PluginManagerOptions,
  PluginState,
  PluginSummary,
  PluginTelemetry,
} from './manager/types.js';
export type { MemoryLimitSetting, WorkerLimitsOptions } from './manager/worker-limits.js';
// Manifests and discovery
export {
  type DiscoveredPlugin,
  type DiscoveryError,
  type DiscoveryResult,
  discover,
  loadManifest,
  type ManifestCapabilities,
  type PluginLimits,
  type PluginManifest,
  type PluginPermissions,
  type PluginResources,
  type ShadowedPlugin,
  searchPaths,
} from './manifest/index.js';
export type { CgroupVersion, MemoryHierarchy, WorkerCgroupOptions } from './process/cgroup-memory.js';
export type { LogEntry, LogLevel, LogSource } from './process/log-buffer.js';
// Running one plugin in its own process
export {
  type CallOptions,
  PluginProcess,
  type PluginProcessEvents,
  type PluginProcessOptions,
  type ProcessStats,
  type Progress,
  type WorkerExit,
} from './process/plugin-process.js';
export { PluginStream, type StreamDriver } from './process/plugin-stream.js';
export type { WorkerCommandOptions } from './process/worker-command.js';
export type { Prelaunched, PrelaunchedExit, PrelaunchedWorker, WorkerSpawnSpec } from './process/worker-spawn.js';
// Jobs and scheduling
export { JobQueue } from './queue/job-queue.js';
export type { JobQueueApi } from './queue/job-queue-api.js';
// The store a queue is given (its contract in full, for writing one: bulkhead/store)
export type {
  JobError,
  JobEvent,
  JobFilter,
  JobPage,
  JobRecord,
  JobStatus,
  JobStore,
  RetentionPolicy,
} from './queue/job-store.js';
export { type OpenedJobQueue, openJobQueue } from './queue/open-queue.js';
export type { PluginRunner } from './queue/plugin-runner.js';
export type { RetryBackoff } from './queue/retry-policy.js';
export type {
  Explanation,
  HostView,
  Job,
  JobQueueEvents,
  JobQueueOptions,
  QueueBackendView,
  QueueSnapshot,
  SubmitOptions,
} from './queue/types.js';
// Resources
export {
  type CommandRunner,
  type GpuInfo,
  type GpuProcess,
  LocalSystemMonitor,
  type LocalSystemMonitorOptions,
  parseSnapshot,
  type SystemMonitor,
  type SystemSnapshot,
} from './resources/index.js';
export type { FitResult, LedgerView, Reservation, ResourceNeeds } from './resources/resource-ledger.js';
export { ResourceLedger } from './resources/resource-ledger.js';
export { Scheduler, type SchedulerOptions, type SchedulingPolicy } from './resources/scheduler.js';
