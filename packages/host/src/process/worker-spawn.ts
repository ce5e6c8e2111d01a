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
 * The slot is one per process, and the next {@link PluginProcess} to start takes it (or kills it):
 * meant for a command that starts one plugin, not for a long-lived host. The spec names the plugin
 * module's path, not its bytes: a reinstall that swaps the plugin's directory in the ~100 ms
 * between a prelaunch and its adoption would run the code loaded before the swap.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { DEFAULT_MAX_FRAME_BYTES } from '@bulkhead/sdk/protocol';
import { killGroup, processStartTicks } from './kill-group.js';
import { type WorkerCommandOptions, workerCommand } from './worker-command.js';

export interface WorkerSpawnSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface WorkerSpawnOptions extends WorkerCommandOptions {
  env?: Record<string, string | undefined>;
  /** Default: the protocol's DEFAULT_MAX_FRAME_BYTES. */
  maxFrameBytes?: number;
}

/** Exactly what is spawned for these options: the host's environment, the worker's over it. */
export function workerSpawnSpec(options: WorkerSpawnOptions): WorkerSpawnSpec {
  const cmd = workerCommand(options);
  const merged: Record<string, string | undefined> = {
    ...process.env,
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

/** What {@link adoptPrelaunched} hands over. */
export interface Prelaunched {
  child: ChildProcess;
  startTicks: number | undefined;
  /** performance.now() at the spawn: a start's time is counted from here. */
  spawnedAt: number;
}

interface Early extends Prelaunched {
  key: string;
}

let early: Early | null = null;

const keyOf = (spec: WorkerSpawnSpec): string =>
  JSON.stringify([spec.file, spec.args, spec.cwd, Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : 1))]);

/**
 * Spawns a worker now, for a {@link PluginProcess} expected to start with the same spec soon.
 * Replaces (and kills) an earlier one not yet adopted. What is not adopted is killed by
 * {@link discardPrelaunched} or when this process exits. Returns its pid.
 */
export function prelaunch(spec: WorkerSpawnSpec): number | undefined {
  discardPrelaunched();
  const child = spawnWorker(spec);
  const startTicks = child.pid === undefined ? undefined : processStartTicks(child.pid);
  // A spawn failure (no pid, never adopted) is an 'error' event: unheard, it would crash this
  // process. The adopter's own spawn will meet (and report) the same failure.
  child.once('error', () => {});
  early = { key: keyOf(spec), child, startTicks, spawnedAt: performance.now() };
  process.once('exit', discardPrelaunched);
  return child.pid;
}

/**
 * The prelaunched worker if it was spawned from exactly `spec` and has not exited, taken out of
 * the slot; otherwise null (and a mismatched or dead one is killed). Call it in the same tick as
 * attaching the exit and output listeners, so no event is missed.
 */
export function adoptPrelaunched(spec: WorkerSpawnSpec): Prelaunched | null {
  const entry = early;
  if (entry === null) return null;
  const usable =
    entry.child.pid !== undefined &&
    entry.child.exitCode === null &&
    entry.child.signalCode === null &&
    entry.key === keyOf(spec);
  if (!usable) {
    discardPrelaunched();
    return null;
  }
  early = null;
  process.removeListener('exit', discardPrelaunched);
  return { child: entry.child, startTicks: entry.startTicks, spawnedAt: entry.spawnedAt };
}

/** Kills a prelaunched worker nobody adopted (synchronous: safe in an 'exit' handler). */
export function discardPrelaunched(): void {
  const entry = early;
  if (entry === null) return;
  early = null;
  process.removeListener('exit', discardPrelaunched);
  killGroup(entry.child.pid, 'SIGKILL', entry.startTicks);
  // Its pipes would keep this process's event loop alive.
  for (const stream of entry.child.stdio) stream?.destroy();
  entry.child.unref();
}
