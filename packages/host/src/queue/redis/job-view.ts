/**
 * Records as the queue shows them (the same shapes as the SQLite queue's).
 * @module
 */
import { decodeValue } from '../codec.js';
import type { JobEvent, JobRecord } from '../job-store.js';
import type { Job } from '../types.js';

/** A record as the queue shows it: input and result decoded, the timeline whole, the host named. */
export function toJob(
  job: JobRecord,
  progress: { fraction?: number; message?: string } | undefined,
  values = true,
): Job {
  return {
    id: job.id,
    plugin: job.plugin,
    input: values ? decodeValue(job.input) : null,
    status: job.status,
    priority: job.priority,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    result: job.result === null || !values ? null : decodeValue(job.result),
    error: job.error,
    progress: progress ?? job.progress,
    timeline: timelineOf(job),
    host: (job as { host?: string | null }).host ?? null,
  };
}

/** Stored events plus those implied by the record (queued, the current start, completion), in time order. */
export function timelineOf(job: JobRecord): JobEvent[] {
  const events: JobEvent[] = [{ at: job.createdAt, type: 'queued' }, ...job.timeline];
  if (
    job.startedAt !== null &&
    job.status !== 'pending' &&
    !job.timeline.some((x) => x.type === 'started' && x.attempt === job.attempts)
  )
    events.push({ at: job.startedAt, type: 'started', attempt: job.attempts });
  if (job.status === 'completed' && job.finishedAt !== null)
    events.push({ at: job.finishedAt, type: 'completed', attempt: job.attempts });
  return events.sort((a, b) => a.at - b.at);
}
