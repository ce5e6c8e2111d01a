/**
 * `bulkhead`: the host side. Any new export added here becomes public API. Named exports only.
 * @module
 */

// Errors (the same registry the worker uses)
export {
  BulkheadError,
  type BulkheadErrorCode,
  ERROR_CODES,
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
// Reaching the process that runs a home's queue (docs/control.md)
export {
  type ConnectControlOptions,
  ControlServer,
  type ControlServerOptions,
  connectControl,
  type JobWatchEvent,
  LocalQueueClient,
  type QueueClient,
  RemoteQueueClient,
  serveControl,
} from './control/index.js';
// Installing plugins into environments of their own (docs/cli.md)
export {
  type InstallEvent,
  type InstallOptions,
  type InstallOutcome,
  type InstallReport,
  installPlugins,
} from './install/installer.js';
export {
  type PluginsFile,
  type PluginsFileEntry,
  type PluginsFileIssue,
  parsePluginsFile,
  readPluginsFile,
} from './install/plugins-file.js';
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
// Manifests and discovery
export {
  type DiscoveredPlugin,
  type DiscoveryResult,
  discover,
  loadManifest,
  type PluginLimits,
  type PluginManifest,
  type PluginPermissions,
  searchPaths,
} from './manifest/index.js';
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
export { PluginStream } from './process/plugin-stream.js';
// Jobs and scheduling
export { JobQueue } from './queue/job-queue.js';
export type { JobQueueApi } from './queue/job-queue-api.js';
export type {
  JobError,
  JobEvent,
  JobFilter,
  JobPage,
  JobPatch,
  JobRecord,
  JobStatus,
  JobStore,
  NewJob,
  RetentionPolicy,
  StoreOp,
} from './queue/job-store.js';
export { openJobQueue } from './queue/open-queue.js';
export type { PluginRunner } from './queue/plugin-runner.js';
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
  parseSnapshot,
  type SystemMonitor,
  type SystemSnapshot,
} from './resources/index.js';
export type { FitResult, LedgerView, Reservation, ResourceNeeds } from './resources/resource-ledger.js';
export { ResourceLedger } from './resources/resource-ledger.js';
export { Scheduler, type SchedulerOptions, type SchedulingPolicy } from './resources/scheduler.js';
