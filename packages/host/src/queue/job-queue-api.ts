/**
 * JobQueueApi: the job queue as its consumers (the CLI, the control socket's LocalQueueClient,
 * `bulkhead serve`) use it. `JobQueue` (SQLite, this process) implements it; a distributed
 * backend (BullMQ, docs/architecture.md) implements the same, so those consumers run on either.
 *
 * @example
 * function watch(queue: JobQueueApi) {
 *   queue.on('completed', (e) => console.log(e.id, e.ms));
 * }
 * @module
 */
import type { EventEmitter } from 'node:events';
import type { LogEntry } from '../process/log-buffer.js';
import type { LedgerView } from '../resources/resource-ledger.js';
import type { JobEvent, JobFilter, RetentionPolicy } from './job-store.js';
import type { Explanation, Job, JobQueueEvents, QueueSnapshot, SubmitOptions } from './types.js';

export interface JobQueueApi extends EventEmitter<JobQueueEvents>, AsyncDisposable {
  /** Free and reserved resources as admission sees them (`bulkhead system`, the dashboard). */
  readonly scheduler: { readonly ledger: { view(): LedgerView } };
  /** Recovers jobs a dead host left running and starts dispatching. */
  start(): Promise<void>;
  /** Stops taking jobs; running ones get `timeoutMs` to end, then go back to pending. */
  stop(options?: { drain?: boolean; timeoutMs?: number }): Promise<void>;
  /** Validates and durably stores one job; returns its id. */
  submit(plugin: string, input: unknown, options?: SubmitOptions): Promise<string>;
  /** Several jobs in one durable write (all or none). */
  submitMany(jobs: { plugin: string; input: unknown; options?: SubmitOptions }[]): Promise<string[]>;
  get<I = unknown, O = unknown>(id: string): Promise<Job<I, O>>;
  list(filter?: JobFilter, options?: { values?: boolean }): Promise<{ jobs: Job[]; next: string | null }>;
  /** The result, or the job's error thrown; ERR_INVALID_ARGUMENT while it has not finished. */
  result<O = unknown>(id: string): Promise<O>;
  /** Resolves once the job has finished, whatever the outcome. */
  wait<I = unknown, O = unknown>(id: string, options?: { timeout?: number; signal?: AbortSignal }): Promise<Job<I, O>>;
  logs(id: string, limit?: number): Promise<LogEntry[]>;
  timeline(id: string): Promise<JobEvent[]>;
  /** Why a pending job is not running yet. */
  explain(id: string): Promise<Explanation>;
  snapshot(options?: { recent?: number; pending?: number }): Promise<QueueSnapshot>;
  cancel(id: string): Promise<Job>;
  reorder(id: string, to: { position: number } | { priority: number }): Promise<Job>;
  prune(policy?: RetentionPolicy): Promise<number>;
  /** The full id of the one job whose id starts with `prefix`. */
  resolveId(prefix: string): Promise<string>;
}
