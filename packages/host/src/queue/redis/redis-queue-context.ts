/**
 * What the RedisJobQueue's split-out parts (submit, reads, control) share with it: its
 * connections, records and runner, and the few private steps they call back into.
 * @module
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Scheduler } from '../../resources/scheduler.js';
import type { JobRecord } from '../job-store.js';
import type { PluginRunner } from '../plugin-runner.js';
import type { Job, JobQueueEvents, JobQueueOptions } from '../types.js';
import type { Message } from './events-channel.js';
import type { HostRegistry } from './host-registry.js';
import type { JobRecords } from './job-records.js';
import type { JobRunner } from './job-runner.js';

export interface RedisQueueContext {
  readonly hostId: string;
  readonly manager: PluginRunner;
  readonly scheduler: Scheduler;
  readonly options: JobQueueOptions;
  readonly prefix: string;
  readonly redis: Redis;
  readonly records: JobRecords;
  readonly hosts: HostRegistry;
  readonly runner: JobRunner;
  /** The BullMQ queue of a plugin (made on first use). */
  queue(plugin: string): Queue;
  /** A job's record; ERR_INVALID_ARGUMENT, ERR_REDIS_UNAVAILABLE or ERR_JOB_NOT_FOUND otherwise. */
  record(id: string): Promise<JobRecord>;
  job(job: JobRecord): Job;
  /** Emits here only. */
  emit(t: string, e: unknown): void;
  publish(m: Message): void;
  /** Emits here and tells the other hosts. */
  announceEvent<K extends keyof JobQueueEvents & Message['t']>(t: K, e: JobQueueEvents[K][0]): void;
  get(id: string): Promise<Job>;
  wait(id: string): Promise<Job>;
}
