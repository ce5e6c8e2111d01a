/**
 * A worker's end: when it counts as exited (its exit, plus the rest of its stderr, or a spawn
 * that failed), and the stop escalation — a `shutdown` request, then SIGTERM, then SIGKILL, each
 * given the same grace.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import type { BulkheadError } from '@bulkhead/sdk/errors';
import { readProcStat } from '../util/proc-stat.js';
import { type ExitNotes, heapLimitOf } from './exit-summary.js';
import { killGroup } from './kill-group.js';
import type { WorkerExit } from './process-types.js';
import { workerExited } from './worker-errors.js';

/** A worker whose channel closed gets this long to exit by itself before it is killed. */
const CHANNEL_CLOSE_GRACE_MS = 200;
/** After exit, how long to wait for the rest of stderr before failing pending calls. */
const STDERR_SETTLE_MS = 25;

/**
 * Calls `exited(code, signal)` once: after the process exits and its stderr ends (or
 * STDERR_SETTLE_MS later: a grandchild holding stderr open must not delay it), or at once when
 * the spawn itself failed (`spawnFailed` is told why first). Anything the worker left running in
 * its process group is killed on exit.
 */
export function watchExit(
  child: ChildProcess,
  startTicks: () => number | undefined,
  spawnFailed: (e: Error) => void,
  exited: (code: number | null, signal: string | null) => void,
): void {
  let stderrEnded = false;
  let exitArgs: [number | null, string | null] | null = null;
  let settled = false;
  const settle = () => {
    if (settled || exitArgs === null) return;
    settled = true;
    exited(exitArgs[0], exitArgs[1]);
  };
  child.stderr?.once('end', () => {
    stderrEnded = true;
    settle();
  });
  child.once('error', (e) => {
    // spawn failure (ENOENT, EACCES): there will be no 'exit' with a pid to kill.
    spawnFailed(e);
    if (child.pid === undefined) {
      exitArgs = [null, null];
      settle();
    }
  });
  child.once('exit', (code, signal) => {
    exitArgs = [code, signal];
    killGroup(child.pid, 'SIGKILL', startTicks());
    if (stderrEnded) settle();
    else setTimeout(settle, STDERR_SETTLE_MS).unref();
  });
}

/** Whether `exited` settles within `ms`. */
export function settlesWithin(exited: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Stops a worker by escalation: `shutdown` (the plugin's cleanup runs; skipped when null), then
 * SIGTERM to its group, then SIGKILL, each after `graceMs` without an exit. Resolves once it exited.
 */
export async function escalateStop(o: {
  pid: number | undefined;
  startTicks: number | undefined;
  graceMs: number;
  exited: Promise<unknown>;
  shutdown: (() => Promise<unknown>) | null;
}): Promise<void> {
  if (o.shutdown) await o.shutdown().catch(() => {});
  if (await settlesWithin(o.exited, o.graceMs)) return;
  killGroup(o.pid, 'SIGTERM', o.startTicks);
  if (await settlesWithin(o.exited, o.graceMs)) return;
  killGroup(o.pid, 'SIGKILL', o.startTicks);
  await o.exited;
}

/**
 * The worker closed its protocol channel. Normally its exit follows at once; one that lives on
 * would leave every call hanging, so after a grace it is killed (while it is still `current`).
 */
export function killIfLingering(child: ChildProcess, current: () => boolean, kill: () => void): void {
  setTimeout(() => {
    // A worker that already died (gone, or a zombie awaiting its reap) needs nothing: its
    // exit event, with the real code and signal, is on its way however loaded the host is.
    const state = child.pid === undefined ? null : readProcStat(child.pid)?.state;
    if (state === undefined || state === null || state === 'Z') return;
    if (current()) kill();
  }, CHANNEL_CLOSE_GRACE_MS).unref();
}

/**
 * What a worker's exit means: the error its open calls fail with (the first fatal error, else
 * what its stderr told, else a plain ERR_WORKER_EXITED) and the WorkerExit its 'exit' event carries.
 */
export function exitOutcome(o: {
  pid: number;
  exitCode: number | null;
  signal: string | null;
  /** Bulkhead ended it (stop or kill): its stderr is not read for a cause. */
  stopped: boolean;
  stderrTail: string[];
  /** The first error that doomed it (a spawn failure, a protocol violation, a kill's reason). */
  fatal: BulkheadError | null;
  notes: ExitNotes;
  /** Its memory cgroup's OOM kill, when it had one (cgroup-memory.ts): it outranks the notes. */
  oom?: BulkheadError | null;
  execArgv: readonly string[] | undefined;
}): { exit: WorkerExit; callError: BulkheadError; how: string } {
  const { exitCode, signal, stderrTail, stopped } = o;
  const how = signal ? `signal ${signal}` : `code ${exitCode}`;
  const told = stopped
    ? null
    : (o.oom ?? o.notes.error({ exitCode, signal, stderrTail, heapLimitMB: heapLimitOf(o.execArgv) }));
  const error = o.fatal ?? told;
  const callError =
    error ??
    workerExited(
      stopped
        ? `worker was stopped (${how})`
        : `worker exited with ${how}${stderrTail.length ? `: ${stderrTail.at(-1)}` : ''}`,
      { exitCode, signal, stderrTail, stopped },
    );
  const exit: WorkerExit = { pid: o.pid, exitCode, signal, expected: stopped, ...(error ? { error } : {}), stderrTail };
  return { exit, callError, how };
}
