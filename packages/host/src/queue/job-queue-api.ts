/**
 * JobQueueApi: the public methods and events of a job queue, whatever stores it. The CLI, the
 * control socket's LocalQueueClient and the HTTP server are written against this only, so the
 * embedded SQLite queue (`JobQueue`) and the Redis/BullMQ one (`RedisJobQueue`, several hosts)
 * are interchangeable behind them. `openJobQueue()` picks one from the options.
 * @module
 */
import type { EventEmitter } from 'node:events';
import type { ControlServer } from '../control/server.js';
import type { LogEntry } from '../process/log-buffer.js';
import type { Scheduler } from '../resources/scheduler.js';
import type { JobEvent, JobFilter, RetentionPolicy } from './job-store.js';
import type { Explanation, Job, JobQueueEvents, QueueSnapshot, SubmitOptions } from './types.js';

export interface JobQueueApi extends EventEmitter<JobQueueEvents> {
  /** This host's admission: what its running jobs reserve of this machine. */
  readonly scheduler: Scheduler;
  /** The home's control socket while the queue serves it, else null. */
  readonly control: ControlServer | null;
  start(): Promise<void>;
  stop(options?: { drain?: boolean; timeoutMs?: number }): Promise<void>;
  submit(plugin: string, input: unknown, options?: SubmitOptions): Promise<string>;
  submitMany(jobs: { plugin: string; input: unknown; options?: SubmitOptions }[]): Promise<string[]>;
  get<I = unknown, O = unknown>(id: string): Promise<Job<I, O>>;
  list(filter?: JobFilter, options?: { values?: boolean }): Promise<{ jobs: Job[]; next: string | null }>;
  result<O = unknown>(id: string): Promise<O>;
  wait<I = unknown, O = unknown>(id: string, options?: { timeout?: number; signal?: AbortSignal }): Promise<Job<I, O>>;
  logs(id: string, limit?: number): Promise<LogEntry[]>;
  timeline(id: string): Promise<JobEvent[]>;
  explain(id: string): Promise<Explanation>;
  snapshot(options?: { recent?: number; pending?: number }): Promise<QueueSnapshot>;
  cancel(id: string): Promise<Job>;
  reorder(id: string, to: { position: number } | { priority: number }): Promise<Job>;
  prune(policy?: RetentionPolicy): Promise<number>;
  resolveId(prefix: string): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}
