/**
 * Jobs that a host leaves behind: at start, those a dead host left `running` (retried if attempts
 * remain, else failed as ERR_JOB_INTERRUPTED); at stop, those still running when the wait ends
 * (back to pending, the attempt not counted). Pure: the store operations that record either.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { JobRecord, StoreOp } from './job-store.js';

/** For the jobs found `running` when a host starts: nothing runs them any more. */
export function recoveryOps(running: readonly JobRecord[], now: number): StoreOp[] {
  const ops: StoreOp[] = [];
  for (const job of running) {
    const detail = `the host stopped while attempt ${job.attempts} ran`;
    ops.push({ op: 'event', id: job.id, event: { at: now, type: 'interrupted', attempt: job.attempts, detail } });
    if (job.attempts < job.maxAttempts) {
      if (job.startedAt !== null) {
        ops.push({ op: 'event', id: job.id, event: { at: job.startedAt, type: 'started', attempt: job.attempts } });
      }
      ops.push({ op: 'update', id: job.id, patch: { status: 'pending', progress: null }, ifStatus: ['running'] });
      ops.push({ op: 'event', id: job.id, event: { at: now, type: 'retrying', attempt: job.attempts + 1 } });
    } else {
      const error = new BulkheadError(
        'ERR_JOB_INTERRUPTED',
        `job interrupted: ${detail}, and it had no attempts left`,
        {
          attempts: job.attempts,
        },
      ).toJSON();
      ops.push({
        op: 'update',
        id: job.id,
        patch: { status: 'failed', error, finishedAt: now },
        ifStatus: ['running'],
      });
      ops.push({ op: 'event', id: job.id, event: { at: now, type: 'failed', detail: error.message } });
    }
  }
  return ops;
}

/**
 * For jobs still running when stop's wait ends: they were stopped on purpose, not by a fault of
 * theirs, so they go back to pending with the attempt not counted, first in line for the next host.
 */
export function handBackOps(running: Iterable<{ id: string; attempt: number }>, now: number): StoreOp[] {
  const ops: StoreOp[] = [];
  for (const run of running) {
    const detail = 'its host was stopped; queued again (the attempt does not count)';
    ops.push(
      {
        op: 'update',
        id: run.id,
        patch: { status: 'pending', attempts: run.attempt - 1, progress: null },
        ifStatus: ['running'],
      },
      { op: 'event', id: run.id, event: { at: now, type: 'interrupted', attempt: run.attempt, detail } },
    );
  }
  return ops;
}
