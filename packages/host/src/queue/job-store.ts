/**
 * The JobStore contract: what the job queue needs from durable storage, and nothing more. The
 * queue's behaviour is written against this interface only, and one conformance suite
 * (test/job-store-conformance.ts) runs against every store: SQLite (the embedded default) now, a
 * Redis/BullMQ store later.
 *
 * Ordering: pending jobs run by `priority` (higher first), then `rank` (lower first). `rank` is a
 * float so a job can be moved between two others without renumbering the rest.
 * @module
 */
import type { LogEntry } from '../process/log-buffer.js';

export type JobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

/** One step of a job's life, for `timeline` and UIs. */
export interface JobEvent {
  /** Epoch ms. */
  at: number;
  type:
    | 'queued'
    | 'waiting-for-resources'
    | 'waiting-for-plugin'
    | 'loading-plugin'
    | 'started'
    | 'retrying'
    | 'interrupted'
    | 'completed'
    | 'failed'
    | 'cancelled'
    | 'reordered';
  attempt?: number;
  detail?: string;
}

export interface JobError {
  code: string;
  message: string;
  data?: unknown;
}

export interface JobRecord {
  id: string;
  plugin: string;
  /**
   * The input as stored: an encoded payload (JSON header plus binary attachments, the wire
   * protocol's framing), so binary inputs survive a restart byte for byte.
   */
  input: Uint8Array;
  status: JobStatus;
  priority: number;
  rank: number;
  idempotencyKey: string | null;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** The result, encoded like the input; null until completed. */
  result: Uint8Array | null;
  error: JobError | null;
  progress: { fraction?: number; message?: string } | null;
  timeline: JobEvent[];
}

export interface JobFilter {
  status?: JobStatus | JobStatus[];
  plugin?: string;
  /** createdAt at or after (epoch ms). */
  since?: number;
  /** createdAt before (epoch ms). */
  until?: number;
  /** Case-insensitive substring of the id, plugin, error message or timeline details. */
  text?: string;
  /** Page size; default 100. */
  limit?: number;
  /** Opaque cursor from the previous page's `next`. */
  cursor?: string;
}

export interface JobPage {
  jobs: JobRecord[];
  /** Cursor of the next page, or null at the end. Newest first (createdAt desc, id desc). */
  next: string | null;
}

export interface NewJob {
  id: string;
  plugin: string;
  input: Uint8Array;
  priority: number;
  idempotencyKey: string | null;
  maxAttempts: number;
  timeoutMs: number | null;
  createdAt: number;
}

export type JobPatch = Partial<
  Pick<
    JobRecord,
    'status' | 'priority' | 'rank' | 'attempts' | 'startedAt' | 'finishedAt' | 'result' | 'error' | 'progress'
  >
>;

export interface RetentionPolicy {
  /** Keep at most this many finished jobs (newest kept). */
  maxCount?: number;
  /** Drop finished jobs that finished longer ago than this. */
  maxAgeMs?: number;
  /** Keep finished jobs' inputs and results (as stored) to at most this many bytes in all (newest kept). */
  maxBytes?: number;
  /** Only finished jobs of these statuses count and go (default: every finished status). */
  status?: JobStatus[];
}

/** One write of a batch. */
export type StoreOp =
  | { op: 'update'; id: string; patch: JobPatch; ifStatus?: JobStatus[] }
  | { op: 'event'; id: string; event: JobEvent }
  | { op: 'logs'; id: string; entries: LogEntry[] };

export interface JobStore {
  /**
   * Inserts jobs atomically (all or none) and durably: when this resolves, the jobs survive a
   * crash of this process. A job whose idempotency key already exists is not inserted; the
   * existing job is returned in its place. Each new job gets a rank after every pending job.
   */
  insert(jobs: NewJob[]): Promise<JobRecord[]>;
  get(id: string): Promise<JobRecord | null>;
  /** Ids that start with `prefix`, at most `limit` of them, so ids can be abbreviated as git's are. */
  idsWithPrefix(prefix: string, limit: number): Promise<string[]>;
  /** Pending jobs in run order (priority desc, rank asc). */
  pending(limit?: number): Promise<JobRecord[]>;
  /** Jobs whose status is running (after a crash: the ones that were interrupted). */
  running(): Promise<JobRecord[]>;
  list(filter?: JobFilter): Promise<JobPage>;
  /**
   * Applies `patch` if the job's current status is one of `ifStatus` (when given); returns the
   * updated job, or null if the job is missing or its status did not match. Atomic.
   */
  update(id: string, patch: JobPatch, ifStatus?: JobStatus[]): Promise<JobRecord | null>;
  appendEvent(id: string, event: JobEvent): Promise<void>;
  /** Appends log entries in one write (the queue batches them: a flood must not mean an fsync per line). */
  appendLogs(id: string, entries: LogEntry[]): Promise<void>;
  logs(id: string, limit?: number): Promise<LogEntry[]>;
  /**
   * Applies the ops in order as one atomic write, durable at least against a crash of this
   * process (a store may skip the fsync here: a state change lost to a power cut re-runs a job
   * within its attempts, which the queue tolerates; `insert` is where a lost write would lose a
   * job). The queue group-commits what happens in the same tick. Returns, per op, whether it
   * applied: false for an update whose status did not match, or for any op on a missing job.
   */
  batch(ops: StoreOp[]): Promise<boolean[]>;
  /** Deletes finished jobs (and their logs) beyond the policy; returns how many. */
  prune(policy: RetentionPolicy): Promise<number>;
  close(): Promise<void>;
}
