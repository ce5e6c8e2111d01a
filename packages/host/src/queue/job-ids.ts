/**
 * Abbreviated job ids, as git and docker accept them: the full id of the one job whose id starts
 * with a prefix (an id is its own prefix). Both backends resolve them here, over their own store.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { JobStore } from './job-store.js';

/** Rejects with ERR_JOB_NOT_FOUND for no match, ERR_JOB_ID_AMBIGUOUS (with the candidates) for several. */
export async function resolveJobId(store: Pick<JobStore, 'get' | 'idsWithPrefix'>, prefix: string): Promise<string> {
  if (typeof prefix !== 'string' || prefix === '') {
    throw new BulkheadError('ERR_INVALID_ARGUMENT', 'a job id (or the start of one) is required');
  }
  if ((await store.get(prefix)) !== null) return prefix;
  const ids = await store.idsWithPrefix(prefix, 6);
  if (ids.length === 1) return ids[0] as string;
  if (ids.length === 0) throw new BulkheadError('ERR_JOB_NOT_FOUND', `no job ${prefix}`, { id: prefix });
  const shown = ids.slice(0, 5).join(', ');
  throw new BulkheadError(
    'ERR_JOB_ID_AMBIGUOUS',
    `job id ${prefix} is ambiguous: ${shown}${ids.length > 5 ? ', …' : ''} start with it`,
    { prefix, candidates: ids.slice(0, 5) },
  );
}
