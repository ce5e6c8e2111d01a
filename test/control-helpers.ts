/**
 * What the control socket tests share: the built control modules (not in the package's entry), a
 * host serving a home, a client of either kind, and checks of coded rejections.
 * @module
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isBulkheadError, JobQueue, PluginManager } from 'bulkhead';
import { repoRoot } from './helpers.js';
import { ECHO_SCHEMA, pluginDir, tempHome } from './manager-helpers.js';

// The control module is not (yet) in the package's public entry: load it from the build.
export type Control = typeof import('../packages/host/src/control/index.js');
export type Wire = typeof import('../packages/host/src/control/wire.js');
export type QueueClient = import('../packages/host/src/control/index.js').QueueClient;
export type JobWatchEvent = import('../packages/host/src/control/index.js').JobWatchEvent;
export const dist = (file: string) => pathToFileURL(join(repoRoot, 'packages', 'host', 'dist', 'control', file)).href;
export const control: Control = await import(dist('index.js'));
export const wire: Wire = await import(dist('wire.js'));

export const PLUGINS = [
  { name: 'slow', fixture: 'slow' },
  { name: 'echo', fixture: 'echo', configSchema: ECHO_SCHEMA },
  { name: 'binary', fixture: 'binary' },
];

/** A host in this process: manager, queue (not started), and its LocalQueueClient. */
export async function host(home = tempHome()) {
  const manager = new PluginManager({ pluginPaths: [pluginDir(PLUGINS)], home, liveness: { pingIntervalMs: 0 } });
  // The socket is served by each test itself (or not at all, for the local client).
  const queue = await JobQueue.open({ manager, durability: 'process', cancelTimeoutMs: 1000, control: false });
  const local = new control.LocalQueueClient({ queue, manager });
  return {
    home,
    manager,
    queue,
    local,
    async [Symbol.asyncDispose]() {
      await local.close();
      await queue.stop({ timeoutMs: 5000 });
      await manager.close();
    },
  };
}

/** The same host seen through a client of `mode`: itself (local) or a socket served in this process (remote). */
export async function clientOf(mode: 'local' | 'remote') {
  const h = await host();
  const server = mode === 'remote' ? await control.serveControl({ client: h.local, home: h.home }) : null;
  const client: QueueClient = server ? ((await control.connectControl(h.home)) as QueueClient) : h.local;
  assert.ok(client);
  return {
    ...h,
    client,
    server,
    async [Symbol.asyncDispose]() {
      await client.close();
      await server?.close();
      await h[Symbol.asyncDispose]();
    },
  };
}

export async function rejectsWith(p: Promise<unknown>, code: string): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    assert.ok(isBulkheadError(e), `expected a BulkheadError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected a rejection with ${code}`);
}

export const bytes = (x: unknown) => Buffer.from(x as Uint8Array).toString('hex');
