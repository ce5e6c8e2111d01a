/**
 * How a stored job reads to callers: the job with its values decoded, its timeline (stored events
 * plus those implied by the row), its outcome as a value or an error, and why a pending job waits.
 * @module
 */
import { BulkheadError, ERROR_CODES } from '@bulkhead/sdk/errors';
import type { FitResult } from '../resources/resource-ledger.js';
import type { JobEvent, JobRecord } from './job-store.js';
import type { Explanation, Job } from './types.js';

type Decode = (stored: Uint8Array) => unknown;

/**
 * The stored events plus those implied by the row, which are not stored to save writes:
 * queued (createdAt), the current attempt's start (startedAt) and completion (finishedAt).
 */
export function timelineOf(job: JobRecord): JobEvent[] {
  const events: JobEvent[] = [{ at: job.createdAt, type: 'queued' }, ...job.timeline];
  if (
    job.startedAt !== null &&
    job.status !== 'pending' &&
    !job.timeline.some((x) => x.type === 'started' && x.attempt === job.attempts)
  ) {
    events.push({ at: job.startedAt, type: 'started', attempt: job.attempts });
  }
  if (job.status === 'completed' && job.finishedAt !== null)
    events.push({ at: job.finishedAt, type: 'completed', attempt: job.attempts });
  // Stable: for equal times, stored events stay before implied ones (loading-plugin, then started).
  return events.sort((a, b) => a.at - b.at);
}

/** `progress`: the latest report not yet written, which wins over the stored one. */
export function viewOf(job: JobRecord, decode: Decode, progress: Job['progress'] | undefined, values = true): Job {
  return {
    id: job.id,
    plugin: job.plugin,
    input: values ? decode(job.input) : null,
    status: job.status,
    priority: job.priority,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    result: job.result === null || !values ? null : decode(job.result),
    error: job.error,
    progress: progress ?? job.progress,
    timeline: timelineOf(job),
  };
}

/** The result of a completed job; throws the error of a failed or cancelled one, ERR_INVALID_ARGUMENT for one not finished. */
export function outcomeOf(job: JobRecord, decode: Decode): unknown {
  if (job.status === 'completed') return job.result === null ? null : decode(job.result);
  if (job.status === 'failed' || job.status === 'cancelled') {
    const e = job.error ?? {
      code: job.status === 'cancelled' ? 'ERR_CANCELLED' : 'ERR_INTERNAL',
      message: `job ${job.status}`,
    };
    throw new BulkheadError((e.code in ERROR_CODES ? e.code : 'ERR_INTERNAL') as never, e.message, e.data as never);
  }
  throw new BulkheadError('ERR_INVALID_ARGUMENT', `job ${job.id} is ${job.status}; wait for it first`);
}

/** What `explain` needs to know of a pending job's place; null for a job not in the pending index. */
export interface PendingPlace {
  ahead: number;
  running: number;
  concurrency: number;
  fit: FitResult;
}

/** Why a job is not running yet (or what it is doing), in words and as data. */
export function explanation(job: JobRecord, place: PendingPlace | null, started: boolean): Explanation {
  const timeline = timelineOf(job);
  const base = { id: job.id, status: job.status, ahead: 0, timeline };
  if (job.status !== 'pending') {
    const message =
      job.status === 'running'
        ? `running (attempt ${job.attempts} of ${job.maxAttempts})`
        : `${job.status}${job.error ? `: ${job.error.message}` : ''}`;
    return { ...base, message, reasons: [] };
  }
  const ahead = place?.ahead ?? 0;
  const reasons: Explanation['reasons'] = [];
  const words: string[] = [];
  if (place) {
    const { running, concurrency, fit } = place;
    if (running >= concurrency) {
      reasons.push({ kind: 'plugin-busy', plugin: job.plugin, running, concurrency });
      words.push(`plugin "${job.plugin}" is busy (${running} of ${concurrency} slots in use)`);
    }
    if (!fit.ok) {
      const { resource, needed, free, unit, why } = fit;
      reasons.push({ kind: 'resources', resource, needed, free, unit, detail: why });
      words.push(why);
    }
  }
  if (ahead > 0) {
    reasons.push({ kind: 'ahead', jobs: ahead });
    words.push(`${ahead} job${ahead === 1 ? '' : 's'} ahead`);
  }
  if (reasons.length === 0) {
    reasons.push({ kind: 'not-started' });
    words.push(started ? 'about to start' : 'the queue has not been started');
  }
  return { ...base, ahead, message: words.join('; '), reasons };
}
