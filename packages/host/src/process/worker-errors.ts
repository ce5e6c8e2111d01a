/**
 * The errors a PluginProcess ends calls with, made in one place: a worker that is gone (one
 * `workerExited()` for every way it goes), a cancelled or timed-out call, a protocol violation.
 * @module
 */
import { BulkheadError, toBulkheadError, type WorkerExitReason } from '@bulkhead/sdk/errors';
import type { WorkerExit } from './process-types.js';

/** How the worker went: what ERR_WORKER_EXITED carries. */
export interface ExitFacts {
  exitCode?: number | null;
  signal?: string | null;
  stderrTail: string[];
  /** Bulkhead ended it on purpose (stop or kill). */
  stopped?: boolean;
  /** Why Bulkhead ended it (a kill, a closed channel, an ignored cancel). */
  reason?: WorkerExitReason;
  /** With `reason: 'killed'`: who killed it and why, as text. */
  detail?: string;
}

export function workerExited(message: string, facts: ExitFacts): BulkheadError<'ERR_WORKER_EXITED'> {
  const { exitCode = null, signal = null, stderrTail, stopped = false, reason, detail } = facts;
  return new BulkheadError('ERR_WORKER_EXITED', message, {
    exitCode,
    signal,
    stderrTail,
    ...(stopped ? { stopped: true } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(detail !== undefined ? { detail } : {}),
  });
}

/** The worker was killed by its host (`kill()`), for `reason`. */
export function killedError(reason: string, stderrTail: string[]): BulkheadError<'ERR_WORKER_EXITED'> {
  return workerExited(`worker was killed: ${reason}`, {
    signal: 'SIGKILL',
    stderrTail,
    stopped: true,
    reason: 'killed',
    detail: reason,
  });
}

/** The worker closed its protocol channel and lived on: it is killed. */
export function channelClosed(stderrTail: string[]): BulkheadError<'ERR_WORKER_EXITED'> {
  return workerExited('worker closed its protocol channel', { stderrTail, reason: 'channel-closed' });
}

/** The process could not be created (ENOENT, EACCES, …). */
export function spawnFailed(e: Error, what = 'worker'): BulkheadError {
  return new BulkheadError('ERR_SPAWN', `cannot start ${what}: ${e.message}`, undefined, { cause: e });
}

/** For a call made to a worker that is not running: why, from how it ended (or that it is stopping). */
export function notRunning(exit: WorkerExit | null, stopping: boolean, stderrTail: string[]): BulkheadError {
  if (exit === null) {
    return workerExited(stopping ? 'worker is stopping' : 'worker is not running', { stderrTail, stopped: stopping });
  }
  const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.exitCode}`;
  return workerExited(`worker is not running (exited with ${how}); call restart()`, {
    exitCode: exit.exitCode,
    signal: exit.signal,
    stderrTail: exit.stderrTail,
    stopped: exit.expected,
  });
}

export function cancelledError(signal: AbortSignal, forced: boolean): BulkheadError {
  const reason = signal.reason;
  const text = reason instanceof Error ? reason.message : reason === undefined ? undefined : String(reason);
  return new BulkheadError(
    'ERR_CANCELLED',
    text ? `call cancelled: ${text}` : 'call cancelled',
    {
      forced,
      ...(text ? { detail: text } : {}),
    },
    { cause: reason },
  );
}

export function timedOut(timeoutMs: number): BulkheadError {
  return new BulkheadError('ERR_TIMEOUT', `call timed out after ${timeoutMs} ms`, { timeoutMs, forced: false });
}

/** The cancel's own error, now forced: the plugin ignored it for `graceMs` and its worker was killed. */
export function forcedCancel(error: BulkheadError, graceMs: number): BulkheadError {
  return new BulkheadError(
    error.code,
    `${error.message}; the plugin ignored the cancel for ${graceMs} ms, so its worker was killed`,
    { ...(error.data as object), forced: true } as never,
  );
}

export function protocolError(message: string): BulkheadError {
  return new BulkheadError('ERR_PROTOCOL', `protocol error: ${message}`);
}

/** Why a start failed, from the handshake's error: a timeout says so, an exit says "during start-up". */
export function handshakeError(e: unknown, timeoutMs: number): BulkheadError {
  const err = toBulkheadError(e);
  if (err.code === 'ERR_TIMEOUT') {
    return new BulkheadError('ERR_HANDSHAKE_TIMEOUT', `worker did not answer the handshake within ${timeoutMs} ms`, {
      timeoutMs,
    });
  }
  if (err.code === 'ERR_WORKER_EXITED') {
    return workerExited(`worker exited during start-up: ${err.message}`, err.data as ExitFacts);
  }
  return err;
}
