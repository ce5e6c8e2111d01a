/**
 * Records as the queue shows them: the SQLite queue's view (queue/views.ts), with the host named.
 * @module
 */
import { decodeValue } from '../codec.js';
import type { JobRecord } from '../job-store.js';
import type { Job } from '../types.js';
import { viewOf } from '../views.js';

export { timelineOf } from '../views.js';

/** A record as the queue shows it: input and result decoded, the timeline whole, the host named. */
export function toJob(
  job: JobRecord,
  progress: { fraction?: number; message?: string } | undefined,
  values = true,
): Job {
  return { ...viewOf(job, decodeValue, progress, values), host: (job as { host?: string | null }).host ?? null };
}
