/**
 * `bulkhead/store`: what writing a job store takes, a backend for the queue beside the SQLite one
 * (`bulkhead/sqlite`): the `JobStore` contract and its types, and the conformance suite to run
 * against a new store (`jobStoreConformance`, on `node:test`). docs/queue.md, "Writing a store".
 * Any new export added here becomes public API. Named exports only.
 * @module
 */
export type { LogEntry, LogLevel, LogSource } from '../../process/log-buffer.js';
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
} from '../job-store.js';
export { jobStoreConformance } from './conformance.js';
export { newJob, type OpenedStore } from './support.js';
