/**
 * Large inputs and results are kept as files beside jobs.db (not inside it), read back by any
 * later host, removed with their job, and counted by byte retention at their full size.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isBulkheadError, JobQueue, PluginManager } from 'bulkhead';
import { pluginDir, tempHome } from '../manager-helpers.js';

const plugins = pluginDir([{ name: 'binary', fixture: 'binary' }]);

async function open(home: string, options: Partial<Parameters<typeof JobQueue.open>[0]> = {}) {
  const manager = new PluginManager({ pluginPaths: [plugins], home, liveness: { pingIntervalMs: 0 } });
  const queue = await JobQueue.open({ manager, durability: 'process', largeValueBytes: 64 * 1024, ...options });
  return {
    queue,
    async [Symbol.asyncDispose]() {
      await queue.stop();
      await manager.close();
    },
  };
}

const MB = 1024 * 1024;
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * seed) % 256);

test('a large input and result live as files, survive the host, and go with their job', async () => {
  const home = tempHome();
  const data = bytes(2 * MB, 7);
  let id: string;
  {
    await using h = await open(home);
    await h.queue.start();
    id = await h.queue.submit('binary', { op: 'identity', data });
    const job = await h.queue.wait(id);
    assert.equal(job.status, 'completed', JSON.stringify(job.error));
    assert.deepEqual(Buffer.from(job.result as Uint8Array), Buffer.from(data));
  }
  const files = join(home, 'jobs.files');
  assert.deepEqual(readdirSync(files).sort(), [`${id}.input`, `${id}.result`]);
  // The database holds stubs only: far smaller than the 4 MB it would hold with the values inside.
  const db =
    statSync(join(home, 'jobs.db')).size +
    (existsSync(join(home, 'jobs.db-wal')) ? statSync(join(home, 'jobs.db-wal')).size : 0);
  assert.ok(db < MB, `jobs.db and its WAL hold ${db} bytes`);
  {
    // Another host (a new queue on the same home) reads them back byte for byte.
    await using h = await open(home);
    const again = await h.queue.get(id);
    assert.deepEqual(Buffer.from(again.result as Uint8Array), Buffer.from(data));
    assert.deepEqual(Buffer.from((again.input as { data: Uint8Array }).data), Buffer.from(data));
    // A listing without values reads no file: it works even with the files gone; one with them says which is missing.
    const moved = join(home, 'moved-aside');
    renameSync(files, moved);
    const listed = (await h.queue.list({}, { values: false })).jobs;
    assert.deepEqual(
      listed.map((j) => [j.id, j.input, j.result]),
      [[id, null, null]],
    );
    await assert.rejects(
      h.queue.list(),
      (e: unknown) => isBulkheadError(e, 'ERR_STORE_UNAVAILABLE') && /is missing: .*\.input/.test(e.message),
    );
    renameSync(moved, files);
    assert.equal(await h.queue.prune({ maxCount: 0 }), 1);
    assert.deepEqual(readdirSync(files), []);
  }
});

test('small values stay inside the database; retention by bytes counts a file at its size', async () => {
  const home = tempHome();
  await using h = await open(home);
  await h.queue.start();
  const small = await h.queue.submit('binary', { op: 'identity', data: bytes(100, 3) });
  await h.queue.wait(small);
  assert.equal(existsSync(join(home, 'jobs.files')), false);
  const big = [];
  for (const seed of [5, 11]) {
    const id = await h.queue.submit('binary', { op: 'identity', data: bytes(MB, seed) });
    assert.equal((await h.queue.wait(id)).status, 'completed');
    big.push(id);
  }
  // The newest job (2 MB with its input) fits 3 MB; the one before would not.
  assert.equal(await h.queue.prune({ maxBytes: 3 * MB }), 2);
  assert.deepEqual(
    (await h.queue.list()).jobs.map((j) => j.id),
    [big[1]],
  );
  assert.deepEqual(readdirSync(join(home, 'jobs.files')).sort(), [`${big[1]}.input`, `${big[1]}.result`]);
});
