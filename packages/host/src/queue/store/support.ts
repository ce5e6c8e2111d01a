/**
 * What every part of the JobStore conformance suite shares: fresh stores, jobs, byte-exact compares.
 * @module
 */
import type { LogEntry } from '../../process/log-buffer.js';
import type { JobRecord, JobStore, NewJob } from '../job-store.js';

export interface OpenedStore {
  store: JobStore;
  /** Closes the store if the test did not, and removes what it stored. */
  cleanup(): Promise<void>;
}

/** Wraps a test body: runs it on a fresh store, cleaning up whatever happens. */
export type WithStore = (fn: (store: JobStore) => Promise<void>) => () => Promise<void>;

export const T0 = Date.UTC(2030, 0, 1);

/** A new job; createdAt defaults to T0. */
export function newJob(id: string, fields: Partial<NewJob> = {}): NewJob {
  return {
    id,
    plugin: 'echo',
    input: new TextEncoder().encode(`{"id":"${id}"}`),
    priority: 0,
    idempotencyKey: null,
    maxAttempts: 1,
    timeoutMs: null,
    createdAt: T0,
    ...fields,
  };
}

/** A record with its byte fields as hex, so stores returning Buffer or Uint8Array compare alike. */
export function plain(job: JobRecord | null) {
  if (job === null) return null;
  return { ...job, input: hex(job.input), result: job.result === null ? null : hex(job.result) };
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export const ids = (jobs: JobRecord[]) => jobs.map((j) => j.id);

export function log(time: number, message: string, extra: Partial<LogEntry> = {}): LogEntry {
  return { time, source: 'plugin', level: 'info', message, ...extra };
}
