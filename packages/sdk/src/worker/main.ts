/**
 * The worker process entry: `node <this file> <plugin module>`, spawned by the host with the
 * protocol channel on fd 3 and the plugin's directory as cwd. Kept to the bare minimum of imports,
 * because its start-up time is every plugin's cold start.
 * @module
 */
import { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { type AnyPlugin, isPlugin } from '../define-plugin.js';
import { BulkheadError } from '../errors.js';
import { Channel } from '../protocol/channel.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../protocol/version.js';
import { WorkerRuntime } from './runtime.js';

const CHANNEL_FD = 3;
const modulePath = process.argv[2];
const maxFrameBytes = Number(process.env.BULKHEAD_MAX_FRAME_BYTES) || DEFAULT_MAX_FRAME_BYTES;
// The host starts each worker as the leader of its own process group, so ending the group ends
// every process the plugin started too.
const ownsGroup = process.env.BULKHEAD_PROCESS_GROUP === '1';

function exitNow(code: number): never {
  if (ownsGroup) {
    try {
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      // Not a group leader after all: fall through to a plain exit.
    }
  }
  process.exit(code);
}

async function loadPlugin(path: string | undefined): Promise<AnyPlugin> {
  if (!path) throw new BulkheadError('ERR_PLUGIN_LOAD', 'no plugin module given to the worker');
  let mod: Record<string, unknown>;
  try {
    // A TypeScript plugin runs from its source: the hooks strip its types as it loads.
    if (/\.(c|m)?ts$/.test(path)) {
      const { register } = await import('node:module');
      register('./typescript-hooks.js', import.meta.url);
    }
    mod = (await import(path.startsWith('file:') ? path : pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    const err = e as Error;
    throw new BulkheadError('ERR_PLUGIN_LOAD', `plugin module ${path} failed to load: ${err?.message ?? String(e)}`, {
      modulePath: path,
      ...(err?.stack ? { stack: err.stack } : {}),
    });
  }
  const candidate = isPlugin(mod.default) ? mod.default : mod.plugin;
  if (!isPlugin(candidate)) {
    throw new BulkheadError(
      'ERR_PLUGIN_INVALID',
      `plugin module ${path} exports no plugin: expected "export default definePlugin({ ... })"`,
      { modulePath: path },
    );
  }
  return candidate;
}

const socket = new Socket({ fd: CHANNEL_FD, readable: true, writable: true });
let runtime: WorkerRuntime | undefined;
const channel = new Channel(socket, maxFrameBytes, {
  onMessage: (message) => runtime?.handle(message),
  onProtocolError: (error) => {
    process.stderr.write(`bulkhead worker: ${error.message}\n`);
    exitNow(70);
  },
  // The host closed its end or died: nobody can use our results, so leave at once.
  onClose: () => exitNow(0),
});
runtime = new WorkerRuntime(channel, loadPlugin(modulePath), {
  onShutdown: () => channel.close(() => process.exit(0)),
});

// Backstop for a host that vanished without the channel closing (fd inherited elsewhere).
const hostPid = process.ppid;
setInterval(() => {
  if (process.ppid !== hostPid) exitNow(0);
}, 1000).unref();
