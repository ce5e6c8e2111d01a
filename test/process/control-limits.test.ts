/**
 * A large input works the same whether this process hosts the queue or reaches another's through
 * the control socket: the socket's line limit is the worker channel's frame limit, and going past
 * it says what the limit is and how to pass large data.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isBulkheadError, JobQueue, PluginManager } from 'bulkhead';
import { repoRoot } from '../helpers.js';
import { pluginDir, tempHome } from '../manager-helpers.js';

type Control = typeof import('../../packages/host/src/control/index.js');
const dist = (file: string) => pathToFileURL(join(repoRoot, 'packages', 'host', 'dist', 'control', file)).href;
const control: Control = await import(dist('index.js'));

async function hosted(maxLineBytes?: number) {
  const home = tempHome();
  const manager = new PluginManager({
    pluginPaths: [pluginDir([{ name: 'echo', fixture: 'echo' }])],
    home,
    liveness: { pingIntervalMs: 0 },
  });
  const queue = await JobQueue.open({ manager, durability: 'process', control: false });
  await queue.start();
  const local = new control.LocalQueueClient({ queue, manager });
  const server = await control.serveControl({
    client: local,
    home,
    ...(maxLineBytes !== undefined ? { maxLineBytes } : {}),
  });
  return {
    home,
    async [Symbol.asyncDispose]() {
      await server.close();
      await local.close();
      await queue.stop({ timeoutMs: 5000 });
      await manager.close();
    },
  };
}

test('a 20 MB input through another host’s control socket works, as it does in process', async () => {
  await using h = await hosted();
  const client = await control.connectControl(h.home);
  assert.ok(client);
  try {
    const x = 'z'.repeat(20 * 1024 * 1024);
    const id = await client.submit('echo', { x });
    const job = await client.watch(id, () => {});
    assert.equal(job.status, 'completed', JSON.stringify(job.error));
    assert.equal((job.result as { echo: { x: string } }).echo.x.length, x.length);
  } finally {
    await client.close();
  }
});

test('the socket and the worker channel share one limit; past it, the error names it and the way around', async () => {
  assert.equal(control.MAX_LINE_BYTES, (await import('@bulkhead/sdk/protocol')).DEFAULT_MAX_FRAME_BYTES);
  await using h = await hosted(1024 * 1024);
  const client = await control.connectControl(h.home, { maxLineBytes: 1024 * 1024 });
  assert.ok(client);
  try {
    await assert.rejects(
      client.submit('echo', { x: 'z'.repeat(2 * 1024 * 1024) }),
      (e) =>
        isBulkheadError(e, 'ERR_FRAME_TOO_LARGE') &&
        /limit of 1048576 bytes \(1 MiB/.test(e.message) &&
        /pass large data as a file/.test(e.message),
    );
  } finally {
    await client.close();
  }
});
