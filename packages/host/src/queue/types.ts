/**
 * Public shapes of the job queue.
 * @module
 */

import type { LogEntry } from '../process/log-buffer.js';
import type { LedgerView, ResourceNeeds } from '../resources/resource-ledger.js';
import type { SchedulingPolicy } from '../resources/scheduler.js';
import type { SystemMonitor } from '../resources/system-monitor.js';
import type { JobError, JobEvent, JobStatus, JobStore, RetentionPolicy } from './job-store.js';
import type { PluginRunner } from './plugin-runner.js';

export interface JobQueueOptions {
  /**
   * Runs the jobs: a `PluginManager`, or anything with the members the queue uses. Serving the
   * control socket (`control`) needs a `PluginManager`.
   */
  manager: PluginRunner;
  /** Where jobs live. Default: SQLite at `<manager.home>/jobs.db`. */
  store?: JobStore;
  /** `fsync` (default): a returned submit survives power loss; `process`: survives a crash of this process. */
  durability?: 'fsync' | 'process';
  scheduler?: {
    /** Default `queue`. */
    policy?: SchedulingPolicy;
    /** `queue` policy: how long a job may wait for resources. Default 10 minutes. */
    queueTimeoutMs?: number;
    /** Default: the manager's monitor. */
    monitor?: SystemMonitor;
    /** Re-measure free resources at least this often while jobs wait. Default 1 s. */
    refreshMs?: number;
  };
  /** Finished jobs kept. Default: 10,000 and 7 days. */
  retention?: RetentionPolicy;
  /** Attempts per job unless submit says otherwise. Default 1 (no retry). */
  maxAttempts?: number;
  /** A running job that ignores its cancel is forced (worker killed) after this. Default 5 s. */
  cancelTimeoutMs?: number;
  /**
   * Inputs and results whose encoding is larger than this are kept as files beside the job
   * database (`<home>/jobs.files/`), removed with their job. Default 1 MiB.
   */
  largeValueBytes?: number;
  /**
   * Serve the home's control socket from `start()` until `stop()`, so `bulkhead jobs`, `run` and
   * `cancel` in a shell reach this queue (docs/control.md). Default: true when the queue owns
   * `<home>/jobs.db` (no `store` given); false turns it off.
   */
  control?: boolean;
  /**
   * The clock the queue records and schedules by (job times, resource-wait deadlines). Default
   * `Date.now`; tests pass their own to drive time.
   */
  now?: () => number;
}

export interface SubmitOptions {
  /** Higher runs first. Default 0. */
  priority?: number;
  /** A second submit with the same key returns the first job's id. */
  idempotencyKey?: string;
  /** Per attempt, in ms. */
  timeout?: number;
  /** Attempts before the job fails (crashes, timeouts and plugin errors are retried). */
  maxAttempts?: number;
  /** Overrides the resources the plugin's manifest declares. */
  resources?: ResourceNeeds;
}

/** A job as the queue shows it: input and result decoded. */
export interface Job<I = unknown, O = unknown> {
  id: string;
  plugin: string;
  input: I;
  status: JobStatus;
  priority: number;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  result: O | null;
  error: JobError | null;
  progress: { fraction?: number; message?: string } | null;
  timeline: JobEvent[];
}

export interface Explanation {
  id: string;
  status: JobStatus;
  /** For a pending job: jobs that run before it. */
  ahead: number;
  /** Why it is not running yet (or what it is doing), in words. */
  message: string;
  /** The same, as data. */
  reasons: (
    | { kind: 'resources'; resource: string; needed: number; free: number; unit: string; detail: string }
    | { kind: 'plugin-busy'; plugin: string; running: number; concurrency: number }
    | { kind: 'ahead'; jobs: number }
    | { kind: 'not-started' }
  )[];
  timeline: JobEvent[];
}

export interface QueueSnapshot {
  time: number;
  running: Job[];
  /** In run order. */
  pending: Job[];
  /** Newest finished first. */
  recent: Job[];
  resources: LedgerView;
  policy: SchedulingPolicy;
}

/** Typed events; each member is documented. */
export interface JobQueueEvents {
  submitted: [{ id: string; plugin: string; priority: number }];
  started: [{ id: string; plugin: string; attempt: number }];
  progress: [{ id: string; fraction?: number; message?: string }];
  log: [{ id: string } & LogEntry];
  completed: [{ id: string; plugin: string; ms: number }];
  failed: [{ id: string; plugin: string; error: JobError; willRetry: boolean }];
  cancelled: [{ id: string; plugin: string; forced: boolean }];
}
