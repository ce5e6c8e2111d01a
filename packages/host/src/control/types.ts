/**
 * One face over the job queue and the plugin manager, whether they live in this process (`local`)
 * or in another Bulkhead process on this machine that holds the home's job database (`remote`,
 * reached through the control socket). The CLI is written against this only.
 * @module
 */
import type { ConfigApplied, PluginSummary, PluginTelemetry } from '../manager/types.js';
import type { LogEntry } from '../process/log-buffer.js';
import type { JobFilter, RetentionPolicy } from '../queue/job-store.js';
import type { Explanation, Job, QueueSnapshot, SubmitOptions } from '../queue/types.js';
import type { LedgerView } from '../resources/resource-ledger.js';
import type { SystemSnapshot } from '../resources/system-monitor.js';

/** A plugin's schemas: its config (null when it declares none) and its job input (null when none). */
export interface PluginSchemas {
  config: Record<string, unknown> | null;
  input: Record<string, unknown> | null;
}

/** The machine as measured, and what admitted jobs hold of it. */
export interface SystemView {
  system: SystemSnapshot;
  resources: LedgerView;
}

/** What happens to one job while it is watched. */
export type JobWatchEvent =
  | { type: 'started'; attempt: number }
  | { type: 'progress'; fraction?: number; message?: string }
  | { type: 'log'; entry: LogEntry };

export interface QueueClient {
  /** `local`: this process runs the queue; `remote`: another process does. */
  readonly mode: 'local' | 'remote';
  submit(plugin: string, input: unknown, options?: SubmitOptions): Promise<string>;
  get(id: string): Promise<Job>;
  /** `values: false`: inputs and results are left out (null), for listings. */
  list(filter?: JobFilter, options?: { values?: boolean }): Promise<{ jobs: Job[]; next: string | null }>;
  cancel(id: string): Promise<Job>;
  jobLogs(id: string, limit?: number): Promise<LogEntry[]>;
  /** The full id of the one job whose id starts with `prefix` (ERR_JOB_NOT_FOUND, ERR_JOB_ID_AMBIGUOUS). */
  resolveId(prefix: string): Promise<string>;
  /** Deletes finished jobs beyond `policy` (statuses, age, count, bytes); returns how many. */
  prune(policy: RetentionPolicy): Promise<number>;
  /** Why a pending job waits (resources, its plugin busy, jobs ahead), or what a running one does. */
  explain(id: string): Promise<Explanation>;
  /**
   * Calls `onEvent` for each event of job `id` until the job ends, then resolves to its final
   * state. Resolves at once for a job that has already ended. Rejects with ERR_CANCELLED if
   * `signal` aborts (the job itself is not cancelled: call `cancel`), with ERR_QUEUE_CLOSED if this
   * client is closed, and (remote) with ERR_HOST_GONE if the host goes away. Only events from the
   * moment of the call are seen: read the job first for its progress so far. A callback that
   * throws ends the watch with what it threw.
   */
  watch(id: string, onEvent: (e: JobWatchEvent) => void, signal?: AbortSignal): Promise<Job>;
  /** Running jobs, pending ones in run order, recent history and reservations, for UIs. */
  snapshot(options?: { recent?: number; pending?: number }): Promise<QueueSnapshot>;
  /** Moves a pending job: to `position` in the run order, or to a new `priority`. */
  reorder(id: string, to: { position: number } | { priority: number }): Promise<Job>;
  /** Submits a finished job again (same plugin, input and options) as a new job; resolves to its id. */
  retry(id: string): Promise<string>;
  plugins(): Promise<PluginSummary[]>;
  /** Starts a plugin's worker now (it would start on first use anyway). */
  loadPlugin(name: string): Promise<PluginSummary>;
  /** Stops a plugin's worker; it starts again on next use. */
  unloadPlugin(name: string): Promise<void>;
  /** Restarts a plugin's worker (or resets one whose circuit breaker is open). */
  reloadPlugin(name: string): Promise<PluginSummary>;
  /** Closes a plugin's circuit breaker (open after repeated crashes): its held jobs start again. */
  resetPlugin(name: string): Promise<PluginSummary>;
  pluginSchemas(name: string): Promise<PluginSchemas>;
  /** A plugin's log, the last `tail` entries (default 200). */
  pluginLogs(name: string, tail?: number): Promise<LogEntry[]>;
  /** CPU, RAM and GPUs now, with what running jobs reserve. */
  system(): Promise<SystemView>;
  updateConfig(name: string, patch: Record<string, unknown>): Promise<{ applied: ConfigApplied }>;
  setEnabled(name: string, enabled: boolean): Promise<void>;
  telemetry(name: string): Promise<PluginTelemetry>;
  /**
   * Ends this client; its open calls and watches reject with ERR_QUEUE_CLOSED. A remote client
   * only disconnects (the host and its jobs go on). Idempotent.
   */
  close(): Promise<void>;
}
