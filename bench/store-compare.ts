/**
 * The two SQLite job stores side by side, in one run: the better-sqlite3 store being replaced
 * (`queue/sqlite-better/`, kept only for this measurement) and the node:sqlite one, through the same
 * queue benchmarks (`submit_per_s`, `submit_batch_per_s`, `jobs_per_s`). Rounds alternate between the
 * two so that the shared machine's noise lands on both; medians of the rounds are printed as JSON.
 * `store_insert_per_s` and `store_insert_batch_per_s` are the store alone (no queue): 1,500 awaited
 * single-job inserts, fsync'd, and 20 inserts of 200.
 *
 * Needs better-sqlite3 built for the Node that runs this (Node 22 or 24, where node:sqlite exists).
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jobsThroughTwoPlugins, type OpenStore, submits } from './benchmarks/queue.js';
import { median } from './stats.js';
import { timeMs } from './timing.js';

const built = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;
type StoreModule = typeof import('../packages/host/src/queue/sqlite/index.js');
const better = (await import(built('./queue/sqlite-better/index.js'))) as StoreModule;
const nodeSqlite = (await import(built('./queue/sqlite/index.js'))) as StoreModule;

const stores: Record<string, OpenStore> = {
  'better-sqlite3': (file) => better.SqliteJobStore.open(file),
  'node:sqlite': (file) => nodeSqlite.SqliteJobStore.open(file),
};

/** The store without the queue around it: fsync'd inserts of one job, and of 200. */
async function storeInserts(open: OpenStore): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-bench-store-'));
  const store = await open(join(dir, 'jobs.db'));
  const input = new Uint8Array(16);
  const job = (id: string) => ({
    id,
    plugin: 'p',
    input,
    priority: 0,
    idempotencyKey: null,
    maxAttempts: 1,
    timeoutMs: null,
    createdAt: Date.now(),
  });
  try {
    for (let i = 0; i < 100; i++) await store.insert([job(`warm-${i}`)]);
    const singleMs = await timeMs(async () => {
      for (let i = 0; i < 1500; i++) await store.insert([job(`one-${i}`)]);
    });
    const batchMs = await timeMs(async () => {
      for (let b = 0; b < 20; b++) await store.insert(Array.from({ length: 200 }, (_, i) => job(`b${b}-${i}`)));
    });
    return { store_insert_per_s: (1500 / singleMs) * 1000, store_insert_batch_per_s: (4000 / batchMs) * 1000 };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const samples: Record<string, Record<string, number[]>> = {};
for (let round = 0; round < rounds; round++) {
  // Alternate which store goes first, too.
  const order = round % 2 === 0 ? Object.keys(stores) : Object.keys(stores).reverse();
  for (const name of order) {
    const open = stores[name]!;
    const figures = {
      ...(await submits(open)),
      jobs_per_s: await jobsThroughTwoPlugins(1, open),
      ...(await storeInserts(open)),
    };
    process.stderr.write(`round ${round + 1} ${name}: ${JSON.stringify(figures)}\n`);
    for (const [key, value] of Object.entries(figures)) ((samples[name] ??= {})[key] ??= []).push(value);
  }
}
const result = Object.fromEntries(
  Object.entries(samples).map(([name, figures]) => [
    name,
    Object.fromEntries(Object.entries(figures).map(([key, values]) => [key, Math.round(median(values))])),
  ]),
);
process.stdout.write(
  `${JSON.stringify({ node: process.version, rounds, medians: result, samples }, (_, v) => (typeof v === 'number' ? Math.round(v) : v))}\n`,
);
