/**
 * The SQLite job store, the embedded default behind the job queue.
 * @module
 */
export { SqliteJobStore, type SqliteJobStoreOptions } from './sqlite-job-store.js';
