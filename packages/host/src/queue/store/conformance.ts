/**
 * The JobStore contract as tests, written once and run against every store (SQLite, Redis, yours):
 * `jobStoreConformance('mine', open)` registers the suite with `node:test`; run the file with
 * `node --test`. It tests what `JobStore` (queue/job-store.ts) promises and nothing a particular
 * store happens to do.
 *
 * Each test opens a fresh, empty store and calls `cleanup` at the end (after the test may have
 * closed the store itself).
 *
 * @example
 * import { jobStoreConformance } from 'bulkhead/store';
 * jobStoreConformance('redis', async () => {
 *   const store = await RedisJobStore.open(url);
 *   return { store, cleanup: async () => { await store.close(); await flush(url); } };
 * });
 * @module
 */
import { describe } from 'node:test';
import { listTests } from './conformance-list.js';
import { pruneTests } from './conformance-prune.js';
import { recordTests } from './conformance-records.js';
import type { OpenedStore, WithStore } from './support.js';

export function jobStoreConformance(name: string, open: () => Promise<OpenedStore>): void {
  const withStore: WithStore = (fn) => async () => {
    const { store, cleanup } = await open();
    try {
      await fn(store);
    } finally {
      await cleanup();
    }
  };
  describe(`JobStore conformance: ${name}`, () => {
    recordTests(withStore);
    listTests(withStore);
    pruneTests(withStore);
  });
}
