/**
 * The JobStore conformance suite now ships with the host (`bulkhead/store`), so a store author can
 * run it; this module keeps the old import path of the repository's own tests working.
 * @module
 */
export { jobStoreConformance, newJob, type OpenedStore } from 'bulkhead/store';
