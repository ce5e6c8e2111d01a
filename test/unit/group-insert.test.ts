import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { JobQueue, PluginManager } from 'bulkhead';
import { SqliteJobStore } from 'bulkhead/sqlite';
import { pluginDir, tempHome } from '../manager-helpers.js';

test('submits of one event-loop turn share one durable insert; each caller gets its own ids; a repeated key returns the first', async () => {
  const home = tempHome();
  const manager = new PluginManager({ pluginPaths: [pluginDir([{ name: 'echo', fixture: 'echo' }])], home });
  const real = await SqliteJobStore.open(join(home, 'jobs.db'));
  const inserts: number[] = [];
  // The real store, counting its insert calls.
  const insert = (jobs: Parameters<SqliteJobStore['insert']>[0]) => {
    inserts.push(jobs.length);
    return real.insert(jobs);
  };
  const store = new Proxy(real, {
    get: (target, key) => {
      if (key === 'insert') return insert;
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const queue = await JobQueue.open({ manager, store });
  try {
    await manager.discover();
    const ids = await Promise.all([
      queue.submit('echo', { n: 1 }),
      queue.submitMany([
        { plugin: 'echo', input: { n: 2 } },
        { plugin: 'echo', input: { n: 3 } },
      ]),
      queue.submit('echo', { n: 4 }, { idempotencyKey: 'k' }),
      queue.submit('echo', { n: 5 }, { idempotencyKey: 'k' }),
    ]);
    assert.deepEqual(inserts, [5]);
    const [one, [two, three], four, five] = ids as [string, string[], string, string];
    assert.equal(five, four);
    assert.equal(new Set([one, two, three, four]).size, 4);
    for (const [id, n] of [
      [one, 1],
      [two, 2],
      [three, 3],
      [four, 4],
    ] as const) {
      assert.deepEqual((await queue.get(id as string)).input, { n });
    }
    // A later turn is a write of its own.
    await queue.submit('echo', { n: 6 });
    assert.deepEqual(inserts, [5, 1]);
  } finally {
    await queue.stop();
    await manager.close();
  }
});
