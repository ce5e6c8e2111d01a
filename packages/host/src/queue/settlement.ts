/**
 * How an attempt's outcome is written: completed, cancelled, failed or put back for a retry, each
 * as the store operations that record it (pure: no store, no clock). The retry rule lives here.
 * @module
 */
import { type BulkheadError, isRetryable } from '@bulkhead/sdk/errors';
import type { JobError, StoreOp } from './job-store.js';

/**
 * The retry rule: another attempt is made when one is left and the error is one a retry can fix
 * (the registry says which, beside each code: `retryable`).
 */
export function willRetry(error: BulkheadError, attempt: number, maxAttempts: number): boolean {
  return attempt < maxAttempts && isRetryable(error.code);
}

type Progress = { progress?: { fraction?: number; message?: string } };

/** An attempt begins: "started" is read from startedAt, so a job that runs once writes no event rows. */
export function startedOps(id: string, attempt: number, now: number, coldStart: boolean): StoreOp[] {
  const ops: StoreOp[] = [
    {
      op: 'update',
      id,
      patch: { status: 'running', startedAt: now, attempts: attempt, progress: null },
      ifStatus: ['pending'],
    },
  ];
  if (coldStart) ops.push({ op: 'event', id, event: { at: now, type: 'loading-plugin' } });
  return ops;
}

export function completedOps(id: string, result: Uint8Array, now: number, last: Progress): StoreOp[] {
  return [
    { op: 'update', id, patch: { status: 'completed', result, finishedAt: now, ...last }, ifStatus: ['running'] },
  ];
}

/** A running job ended on its cancel; `forced` when its worker had to be killed. */
export function cancelledOps(
  id: string,
  error: JobError,
  attempt: number,
  forced: boolean,
  now: number,
  last: Progress,
): StoreOp[] {
  const detail = forced
    ? 'forced: the plugin ignored its signal, its worker was killed'
    : 'the plugin stopped on its signal';
  return [
    { op: 'update', id, patch: { status: 'cancelled', finishedAt: now, error, ...last }, ifStatus: ['running'] },
    { op: 'event', id, event: { at: now, type: 'cancelled', attempt, detail } },
  ];
}

/**
 * A pending job cancelled where it waits. `orphan`: a job still `running` in a store whose host
 * died, cancelled before anything recovered it.
 */
export function cancelledPendingOps(id: string, orphan: boolean, now: number): [StoreOp, StoreOp] {
  const detail = orphan ? 'cancelled after its host went away' : 'cancelled while pending';
  return [
    { op: 'update', id, patch: { status: 'cancelled', finishedAt: now }, ifStatus: [orphan ? 'running' : 'pending'] },
    { op: 'event', id, event: { at: now, type: 'cancelled', detail } },
  ];
}

/** Back to pending for attempt `attempt + 1`; the next attempt overwrites startedAt, so this one's is kept as an event. */
export function retryOps(
  id: string,
  error: JobError,
  attempt: number,
  startedAt: number,
  now: number,
  delayMs = 0,
): StoreOp[] {
  const detail = delayMs > 0 ? `${error.message} (next attempt in ${delayMs} ms)` : error.message;
  return [
    { op: 'event', id, event: { at: startedAt, type: 'started', attempt } },
    { op: 'update', id, patch: { status: 'pending', error, progress: null }, ifStatus: ['running'] },
    { op: 'event', id, event: { at: now, type: 'retrying', attempt: attempt + 1, detail } },
  ];
}

/** Its plugin's circuit opened as it started: pending again, the attempt not counted. */
export function requeueUncountedOps(id: string, attempt: number, detail: string, now: number): StoreOp[] {
  return [
    { op: 'update', id, patch: { status: 'pending', attempts: attempt - 1, progress: null }, ifStatus: ['running'] },
    { op: 'event', id, event: { at: now, type: 'waiting-for-plugin', detail } },
  ];
}

/** Failed for good: after its last attempt, or while pending (refused by admission). */
export function failedOps(id: string, error: JobError, now: number, attempt?: number): StoreOp[] {
  return [
    { op: 'update', id, patch: { status: 'failed', error, finishedAt: now }, ifStatus: ['running', 'pending'] },
    { op: 'event', id, event: { at: now, type: 'failed', ...(attempt ? { attempt } : {}), detail: error.message } },
  ];
}
