/**
 * The one place a worker process is spawned, and the one early spawn a short-lived command may
 * make before it knows it will need the worker ("prelaunch").
 *
 * A worker's cold start is the longest step of `bulkhead run`; the CLI process meanwhile spends
 * tens of ms loading its own modules and opening the job database. Spawning the worker first,
 * from what the plugin's manifest says, lets the two overlap. A prelaunched worker is adopted only
 * by a {@link PluginProcess} whose spawn would have been exactly the same (command, arguments,
 * directory and environment, compared whole), so it never changes what runs, only when it starts:
 * any difference, or a worker that already died, and it is killed and a fresh one spawned.
 *
 * The early worker is handed over explicitly: whoever prelaunched it passes it to the start meant
 * to take it (PluginProcess option `prelaunched`, or the PluginManager's, which gives it to its
 * first start), and nothing else can adopt it: no slot that every spawn reads. The spec names the plugin
 * module's path, not its bytes: a reinstall that swaps the plugin's directory in the ~100 ms
 * between a prelaunch and its adoption would run the code loaded before the swap.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { DEFAULT_MAX_FRAME_BYTES } from '@bulkhead/sdk/protocol';
import { killGroup, processStartTicks } from './kill-group.js';
import { type WorkerCommandOptions, workerCommand } from './worker-command.js';
import { inheritedWorkerEnv } from './worker-env.js';

export interface WorkerSpawnSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface WorkerSpawnOptions extends WorkerCommandOptions {
  env?: Record<string, string | undefined>;
  /** Host variables the worker inherits beyond the minimal set (`NAME` or `PREFIX*`); see worker-env.ts. */
  passEnv?: readonly string[];
  /** Default: the protocol's DEFAULT_MAX_FRAME_BYTES. */
  maxFrameBytes?: number;
}

/**
 * Exactly what is spawned for these options: the part of the host's environment a worker may
 * inherit (never its secrets: see worker-env.ts), the worker's own variables over it.
 */
export function workerSpawnSpec(options: WorkerSpawnOptions): WorkerSpawnSpec {
  const cmd = workerCommand(options);
  const merged: Record<string, string | undefined> = {
    ...inheritedWorkerEnv(process.env, options.passEnv),
    ...options.env,
    BULKHEAD_MAX_FRAME_BYTES: String(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES),
    BULKHEAD_PROCESS_GROUP: '1',
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(merged)) if (v !== undefined) env[k] = v;
  return { ...cmd, env };
}

/** Spawns a worker. Throws synchronously only for invalid arguments; a missing file is an 'error' event. */
export function spawnWorker(spec: WorkerSpawnSpec): ChildProcess {
  return spawn(spec.file, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    // fd 3 is the protocol channel (a socketpair); stdout/stderr are the plugin's logs.
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    // Own process group: stopping the worker ends everything the plugin started.
    detached: true,
  });
}

/** What {@link PrelaunchedWorker.adopt} hands over. */
export interface Prelaunched {
  child: ChildProcess;
  startTicks: number | undefined;
  /** performance.now() at the spawn: a start's time is counted from here. */
  spawnedAt: number;
}

/** How a prelaunched worker ended: its exit, or (no process at all) the spawn's error. */
export interface PrelaunchedExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The spawn failed (ENOENT, EACCES): there was never a process. */
  error?: Error;
}

const keyOf = (spec: WorkerSpawnSpec): string =>
  JSON.stringify([spec.file, spec.args, spec.cwd, Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : 1))]);

/**
 * A worker spawned early, for a {@link PluginProcess} expected to start with the same spec soon;
 * handed to that start explicitly (option `prelaunched`, through the manager's). Used once: the
 * start adopts it or kills it. One nobody adopts is killed by {@link discard} or when this
 * process exits.
 */
export class PrelaunchedWorker {
  readonly #key: string;
  #early: Prelaunched | null;
  readonly #onExit = () => this.discard();
  /**
   * Settles once the early process is gone (its 'exit' was seen, so adopt() will refuse it), or
   * its spawn failed; whoever ends it, adopted or not. Never rejects.
   */
  readonly exited: Promise<PrelaunchedExit>;

  constructor(spec: WorkerSpawnSpec) {
    const child = spawnWorker(spec);
    const startTicks = child.pid === undefined ? undefined : processStartTicks(child.pid);
    this.exited = new Promise((resolve) => {
      child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
      // A spawn failure (no pid, never adopted) is an 'error' event: unheard, it would crash this
      // process. The adopter's own spawn will meet (and report) the same failure.
      child.once('error', (error) => {
        if (child.pid === undefined) resolve({ exitCode: null, signal: null, error });
      });
    });
    this.#key = keyOf(spec);
    this.#early = { child, startTicks, spawnedAt: performance.now() };
    process.once('exit', this.#onExit);
  }

  /** Its pid (undefined when the spawn failed). */
  get pid(): number | undefined {
    return this.#early?.child.pid;
  }

  /**
   * The worker if it was spawned from exactly `spec` and has not exited; otherwise null (and a
   * mismatched or dead one is killed). Either way it is used up. Call it in the same tick as
   * attaching the exit and output listeners, so no event is missed.
   */
  adopt(spec: WorkerSpawnSpec): Prelaunched | null {
    const entry = this.#early;
    if (entry === null) return null;
    const usable =
      entry.child.pid !== undefined &&
      entry.child.exitCode === null &&
      entry.child.signalCode === null &&
      this.#key === keyOf(spec);
    if (!usable) {
      this.discard();
      return null;
    }
    this.#early = null;
    process.removeListener('exit', this.#onExit);
    return entry;
  }

  /** Kills the worker if nobody adopted it (synchronous: safe in an 'exit' handler). Idempotent. */
  discard(): void {
    const entry = this.#early;
    if (entry === null) return;
    this.#early = null;
    process.removeListener('exit', this.#onExit);
    killGroup(entry.child.pid, 'SIGKILL', entry.startTicks);
    // Its pipes would keep this process's event loop alive.
    for (const stream of entry.child.stdio) stream?.destroy();
    entry.child.unref();
  }
}

/** Spawns a worker now, to be handed to the start expected to need it (see {@link PrelaunchedWorker}). */
export function prelaunch(spec: WorkerSpawnSpec): PrelaunchedWorker {
  return new PrelaunchedWorker(spec);
}
