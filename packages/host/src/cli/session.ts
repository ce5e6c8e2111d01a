/**
 * Where a command's work happens. One process at a time owns a home's job database; it serves the
 * control socket too. A command first looks for that process and, if there is one, works through
 * it (so a job submitted here runs there, and a config change reaches its live workers). If there
 * is none, the command opens the home itself; `run` and `jobs wait` then become the host, serving
 * the socket so other commands can reach their jobs, and stay until no other command is attached.
 * @module
 */
import { isBulkheadError } from '@bulkhead/sdk/errors';
import type { ControlServer } from '../control/server.js';
import type { QueueClient } from '../control/types.js';
import type { PluginManager } from '../manager/plugin-manager.js';
import type { PluginSummary } from '../manager/types.js';
import type { CommandContext } from './main.js';

export interface Session extends AsyncDisposable {
  client: QueueClient;
  /** This process's manager, when it runs the queue itself. */
  manager?: PluginManager;
}

/** How long to keep trying to reach a host that holds the database but is not listening yet. */
const CLAIM_RETRY_MS = 5000;

export interface SessionOptions {
  /** Become the host (run the queue and serve the socket) when no host is running. */
  host: boolean;
  /**
   * The plugin this command's job will run: when this process becomes the host, its worker starts
   * at once, while the queue opens (see {@link warmUp}).
   */
  warm?: string;
}

export async function openSession(ctx: CommandContext, options: SessionOptions): Promise<Session> {
  const { connectControl } = await import('../control/remote-client.js');
  const deadline = Date.now() + CLAIM_RETRY_MS;
  for (;;) {
    const remote = await connectControl(ctx.home);
    if (remote) return { client: remote, [Symbol.asyncDispose]: () => remote.close() };
    try {
      return await openLocal(ctx, options);
    } catch (e) {
      // Another process claimed the database between our look and our claim: it is starting
      // its socket now. Anything else is a real failure.
      const inUse = isBulkheadError(e, 'ERR_STORE_UNAVAILABLE') && (e.data as { reason?: string })?.reason === 'in-use';
      if (!inUse || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function openLocal(ctx: CommandContext, { host, warm }: SessionOptions): Promise<Session> {
  const { PluginManager } = await import('../manager/plugin-manager.js');
  const manager = new PluginManager({ home: ctx.home, env: ctx.env });
  if (host && warm !== undefined) warmUp(manager, warm);
  const [{ JobQueue }, { LocalQueueClient }] = await Promise.all([
    import('../queue/job-queue.js'),
    import('../control/local-client.js'),
  ]);
  let queue: Awaited<ReturnType<typeof JobQueue.open>>;
  try {
    queue = await JobQueue.open({ manager });
  } catch (e) {
    await manager.close();
    throw e;
  }
  const client = new LocalQueueClient({ queue, manager, owned: true });
  let server: ControlServer | undefined;
  if (host) {
    try {
      await queue.start();
      const { serveControl } = await import('../control/server.js');
      server = await serveControl({ client, home: ctx.home });
    } catch (e) {
      await client.close();
      throw e;
    }
  }
  return {
    client,
    manager,
    async [Symbol.asyncDispose]() {
      // Other commands attached to this host (watching their jobs) keep it alive until they go.
      if (server && server.connections > 0) {
        ctx.out.note(`waiting for ${server.connections} other bulkhead command(s) using this host…`);
        await new Promise<void>((resolve) => server?.once('idle', resolve));
      }
      await server?.close();
      await client.close();
    },
  };
}

/**
 * Starts the worker of the plugin a job is about to be submitted for, without waiting. A worker's
 * cold start is the longest step of `bulkhead run` (a Node runtime, the SDK, the plugin and its
 * dependencies), and without this it would begin only once the queue is open and the job
 * submitted and dispatched; now the two overlap, on two cores. The job's call finds the worker
 * starting (or up) and shares that start.
 *
 * Only for a plugin whose manifest declares no resources: for one that does, the scheduler decides
 * when its job may run, and loading it before that would take what the scheduler guards. Nothing
 * is reported from here: a plugin that is unknown, disabled or fails to start is the job's error,
 * reported as without a warm-up.
 */
function warmUp(manager: PluginManager, name: string): void {
  const start = async () => {
    await manager.discover();
    const plugin = manager.get(name);
    if (plugin === undefined || !plugin.enabled || Object.keys(plugin.resources).length > 0) return;
    await manager.load(name);
  };
  start().catch(() => {});
}

/** The plugin side only: through a running host, or a manager of our own that starts nothing. */
export interface PluginAccess extends AsyncDisposable {
  remote: boolean;
  plugins(): Promise<PluginSummary[]>;
  updateConfig: QueueClient['updateConfig'];
  setEnabled: QueueClient['setEnabled'];
  telemetry: QueueClient['telemetry'];
}

export async function openPlugins(ctx: CommandContext): Promise<PluginAccess> {
  const { connectControl } = await import('../control/remote-client.js');
  const remote = await connectControl(ctx.home);
  if (remote) {
    return {
      remote: true,
      plugins: () => remote.plugins(),
      updateConfig: (n, p) => remote.updateConfig(n, p),
      setEnabled: (n, on) => remote.setEnabled(n, on),
      telemetry: (n) => remote.telemetry(n),
      [Symbol.asyncDispose]: () => remote.close(),
    };
  }
  const { PluginManager } = await import('../manager/plugin-manager.js');
  const manager = new PluginManager({ home: ctx.home, env: ctx.env });
  const discovery = await manager.discover();
  for (const err of discovery.errors) ctx.out.warn(err.message);
  return {
    remote: false,
    plugins: async () => manager.list(),
    updateConfig: async (n, p) => ({ applied: (await manager.updateConfig(n, p)).applied }),
    setEnabled: (n, on) => (on ? manager.enable(n) : manager.disable(n)),
    telemetry: (n) => manager.telemetry(n),
    [Symbol.asyncDispose]: () => manager.close(),
  };
}

/**
 * Ctrl-C handling for one command: the first SIGINT aborts `signal` (and calls `onFirst`), so the
 * command can end its work cleanly; a second one exits at once with 130.
 */
export function interrupted(onFirst?: () => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    onFirst?.();
  };
  process.on('SIGINT', handler);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', handler) };
}
