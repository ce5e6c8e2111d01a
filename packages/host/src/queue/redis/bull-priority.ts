/**
 * Bulkhead's priorities (higher runs first, 0 by default, any integer in range) as BullMQ's
 * (1 runs first, up to 2^21 − 1; 0 would mean "no priority", which BullMQ serves before every
 * prioritized job, so it is never used): a job of priority p is BullMQ priority 2^20 − p.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';

const MIDDLE = 2 ** 20;
/** The priorities a job on Redis may have: BullMQ's range, centred on 0. */
export const MAX_PRIORITY = MIDDLE - 1;

export function toBullPriority(priority: number): number {
  if (!Number.isInteger(priority) || Math.abs(priority) > MAX_PRIORITY) {
    throw new BulkheadError(
      'ERR_INVALID_ARGUMENT',
      `"priority" on a Redis queue must be an integer from ${-MAX_PRIORITY} to ${MAX_PRIORITY} (got ${priority})`,
    );
  }
  return MIDDLE - priority;
}
