/**
 * Where a command's work happens. One process at a time owns a home's job database; it serves the
 * control socket too. A command first looks for that process and, if there is one, works through
 * it (so a job submitted here runs there, and a config change reaches its live workers). If there
 * is none, the command opens the home itself; `run` and `jobs wait` then become the host, serving
 * the socket so other commands can reach their jobs, and stay while commands are attached or the
 * queue has work (docs/cli.md, "Who runs the jobs").
 * @module
 */

import { lstatSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isBulkheadError } from '@bulkhead/sdk/errors';
import type { RemoteQueueClient } from '../control/remote-client.js';
import type { ControlServer } from '../control/server.js';
import type { QueueClient } from '../control/types.js';
import type { PluginManager } from '../manager/plugin-manager.js';
import type { PluginSummary } from '../manager/types.js';
import type { PrelaunchedWorker } from '../process/worker-spawn.js';
import type { JobQueueApi } from '../queue/job-queue-api.js';
import type { OpenedJobQueue } from '../queue/open-queue.js';
import type { Job } from '../queue/types.js';
import { hasNeeds, type ResourceNeeds } from '../resources/resource-ledger.js';
import type { CommandContext } from './context.js';

export interface Session extends AsyncDisposable {
  client: QueueClient;
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
  const deadline = Date.now() + CLAIM_RETRY_MS;
  for (let attempt = 0; ; attempt++) {
    const remote = await connectHost(ctx.home);
    if (remote) {
      // The job runs in that host: a worker this process prelaunched for it is not needed.
      ctx.prelaunched?.discard();
      return { client: remote, [Symbol.asyncDispose]: () => remote.close() };
    }
    try {
      // The worker is warmed up on the first try only: a retry means another process holds the
      // database, and each try would start (and stop) a worker for nothing.
      return await openLocal(ctx, attempt === 0 ? options : { host: options.host });
    } catch (e) {
      // Another process claimed the database between our look and our claim: it is starting
      // its socket now. Anything else is a real failure.
      const inUse = isBulkheadError(e, 'ERR_STORE_UNAVAILABLE') && (e.data as { reason?: string })?.reason === 'in-use';
      if (!inUse || Date.now() > deadline) throw e;
      await sleep(100);
    }
  }
}

async function openLocal(ctx: CommandContext, { host, warm }: SessionOptions): Promise<Session> {
  const [{ PluginManager }, settings] = await Promise.all([
    import('../manager/plugin-manager.js'),
    import('../config/host-config.js'),
  ]);
  // config.yaml, then BULKHEAD_* variables, then this command's flags.
  const config = await settings.loadHostConfig(ctx.home, ctx.env, ctx.settings);
  // The prelaunched worker is offered to this manager's first start (the warm-up's, below).
  const manager = new PluginManager({
    home: ctx.home,
    env: ctx.env,
    ...settings.managerOptionsOf(config),
    ...(ctx.prelaunched ? { prelaunched: ctx.prelaunched } : {}),
  });
  if (host && warm !== undefined) await warmUp(manager, warm, ctx.prelaunched);
  const [{ openJobQueue }, { LocalQueueClient }] = await Promise.all([
    import('../queue/open-queue.js'),
    import('../control/local-client.js'),
  ]);
  let queue: OpenedJobQueue;
  try {
    // The queue serves the socket (from start()) only when this command is the host.
    queue = await openJobQueue({ manager, ...settings.queueOptionsOf(config), control: host });
  } catch (e) {
    await manager.close();
    throw e;
  }
  const client = new LocalQueueClient({ queue, manager, owned: true });
  let server: ControlServer | undefined;
  if (host) {
    try {
      await queue.start();
      server = queue.control ?? undefined;
    } catch (e) {
      await client.close();
      throw e;
    }
  }
  return {
    client,
    async [Symbol.asyncDispose]() {
      // A host stays, still serving, while other commands are attached and while the queue has
      // work (jobs they submitted, detached jobs): leaving would strand both. A signal cuts this
      // short: attached commands take over, and jobs still running go back to pending.
      const stop = interrupted(() => ctx.out.note('stopping the host now (Ctrl-C again to quit at once)'));
      try {
        if (host && server) await whileNeeded(ctx, queue, server, stop.signal);
        await server?.close();
        if (stop.signal.aborted) await queue.stop({ timeoutMs: 0 });
        await client.close();
      } finally {
        stop.dispose();
        ctx.prelaunched?.discard(); // one the job never used (its plugin failed to load, say)
      }
    },
  };
}

/**
 * Starts the worker of the plugin a job is about to be submitted for, and resolves once it is
 * spawned, without waiting for it to be up. A worker's cold start is the longest step of
 * `bulkhead run` (a Node runtime, the SDK, the plugin and its dependencies); without this it would
 * begin only once the queue is open and the job submitted and dispatched. Now the two overlap, on
 * two cores, and the job's call finds the worker starting (or up) and shares that start. The caller
 * loads the queue's modules after this resolves, so their loading does not delay the spawn.
 *
 * Only for a plugin whose manifest declares no resources: for one that does, the scheduler decides
 * when its job may run, and loading it before then would take what the scheduler guards. Nothing
 * is reported from here: a plugin that is unknown, disabled or fails to start is the job's error,
 * reported as it would be without a warm-up.
 */
async function warmUp(manager: PluginManager, name: string, prelaunched?: PrelaunchedWorker): Promise<void> {
  const discard = () => prelaunched?.discard();
  try {
    await manager.discover();
  } catch {
    discard();
    return;
  }
  let needs: ResourceNeeds;
  try {
    // Not get(): a summary holds the config, and working that out may load Ajv before the spawn.
    needs = manager.resourcesOf(name);
  } catch {
    discard();
    return;
  }
  if (hasNeeds(needs)) return discard();
  // Spawns within this tick's microtasks (discovery is done), before module loading resumes. A
  // disabled plugin is refused here as its job will be. A prelaunched worker (bin/bulkhead.js) is
  // adopted by this start, or else will not be: it goes now, not when this host leaves.
  manager
    .load(name)
    .catch(() => {})
    .finally(discard);
}

/**
 * The running host's client, or null when there is none. The client's modules are loaded only
 * when the socket file exists: with no host running (the common case for `run`), they are not
 * needed, and loading them would delay the worker's start.
 */
async function connectHost(home: string): Promise<RemoteQueueClient | null> {
  const { controlSocketPath } = await import('../control/socket-path.js');
  try {
    lstatSync(controlSocketPath(home));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // Anything else (a socket that is not ours, say) is for the client to report.
  }
  const { connectControl } = await import('../control/remote-client.js');
  return connectControl(home);
}

/** The plugin side only: through a running host, or a manager of our own that starts nothing. */
export interface PluginAccess extends AsyncDisposable {
  remote: boolean;
  plugins(): Promise<PluginSummary[]>;
  updateConfig: QueueClient['updateConfig'];
  setEnabled: QueueClient['setEnabled'];
  /** Closes the plugin's circuit breaker in the running host; false when no host runs (nothing to close). */
  reset(name: string): Promise<boolean>;
  telemetry: QueueClient['telemetry'];
}

export async function openPlugins(ctx: CommandContext): Promise<PluginAccess> {
  const remote = await connectHost(ctx.home);
  if (remote) {
    return {
      remote: true,
      plugins: () => remote.plugins(),
      updateConfig: (n, p) => remote.updateConfig(n, p),
      setEnabled: (n, on) => remote.setEnabled(n, on),
      reset: async (n) => {
        await remote.resetPlugin(n);
        return true;
      },
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
    // A circuit lives in the host's memory: with no host, every circuit is closed already.
    reset: async () => false,
    telemetry: (n) => manager.telemetry(n),
    [Symbol.asyncDispose]: () => manager.close(),
  };
}

/**
 * A session to follow job `idOrPrefix` (the start of an id is enough), and the job's full id:
 * through the running host if there is one; else this process becomes the host only if the job
 * has yet to end (a finished job needs nobody to run anything, and a host would also run whatever
 * else is pending before it could leave).
 */
export async function openSessionFor(
  ctx: CommandContext,
  idOrPrefix: string,
): Promise<{ session: Session; id: string }> {
  const first = await openSession(ctx, { host: false });
  let id: string;
  try {
    id = await first.client.resolveId(idOrPrefix);
    if (first.client.mode === 'remote') return { session: first, id };
    const { status } = await first.client.get(id);
    if (status !== 'pending' && status !== 'running') return { session: first, id };
  } catch (e) {
    await first[Symbol.asyncDispose]();
    throw e;
  }
  await first[Symbol.asyncDispose]();
  return { session: await openSession(ctx, { host: true }), id };
}

/** How often a host that is done with its own work looks whether anyone still needs it. */
const LINGER_POLL_MS = 200;

/** Waits until no command is attached and no job is pending or running, or `signal` aborts. */
async function whileNeeded(
  ctx: CommandContext,
  queue: Pick<JobQueueApi, 'snapshot'>,
  server: ControlServer,
  signal: AbortSignal,
): Promise<void> {
  let said = '';
  while (!signal.aborted) {
    const snap = await queue.snapshot({ recent: 1, pending: 1000 });
    // A queue shared through Redis: other hosts run what is queued, so this one waits for no job
    // (the SQLite queue's jobs have no one else). Stopping, it takes nothing more, lets the jobs
    // of others it took meanwhile finish (the stop's timeout) and hands back the rest.
    const shared = snap.backend !== undefined;
    const running = shared ? [] : snap.running;
    const pending = shared ? [] : snap.pending;
    const waits = [
      server.connections > 0 ? `${server.connections} other bulkhead command(s) attached` : '',
      running.length + pending.length > 0 ? `${running.length} running and ${pending.length} queued job(s)` : '',
    ].filter(Boolean);
    if (waits.length === 0) return;
    // Said again only when what it waits for changes, not at every job that ends.
    const kinds = `${server.connections > 0}|${running.length + pending.length > 0}`;
    if (kinds !== said) ctx.out.note(`host staying for ${waits.join(' and ')}… (Ctrl-C to stop it)`);
    said = kinds;
    await sleep(LINGER_POLL_MS);
  }
}

/** Signals that end a command: Ctrl-C, `kill`, and the terminal closing. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/**
 * Signal handling for one command: the first SIGINT, SIGTERM or SIGHUP aborts `signal` (and calls
 * `onFirst`), so the command can end its work cleanly (cancel its job, stop its host); a second
 * one exits at once (130 for SIGINT).
 */
export function interrupted(onFirst?: () => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handlers = STOP_SIGNALS.map((sig) => {
    const handler = () => {
      if (controller.signal.aborted) process.exit(SIGNAL_EXIT[sig]);
      controller.abort();
      onFirst?.();
    };
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return {
    signal: controller.signal,
    dispose: () => {
      for (const [sig, handler] of handlers) process.off(sig, handler);
    },
  };
}

/**
 * Watches job `id` to its end through `holder.session`, and if that session's host goes away
 * mid-watch (`ERR_HOST_GONE`), opens a new one (attaching to whoever took over, or becoming the
 * host, which recovers the job) and watches on: the job is in the database, so nothing is lost.
 */
export async function watchJob(
  ctx: CommandContext,
  holder: { session: Session },
  id: string,
  onEvent: Parameters<QueueClient['watch']>[1],
  signal?: AbortSignal,
): Promise<Job> {
  for (;;) {
    try {
      return await holder.session.client.watch(id, onEvent, signal);
    } catch (e) {
      if (!isBulkheadError(e, 'ERR_HOST_GONE') || signal?.aborted) throw e;
      ctx.out.note('the Bulkhead host running this job went away; taking over…');
      await Promise.resolve(holder.session[Symbol.asyncDispose]()).catch(() => {});
      holder.session = await openSession(ctx, { host: true });
    }
  }
}
