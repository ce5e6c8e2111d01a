/**
 * How the queue waits instead of burning attempts: a retried job backs off (doubling from
 * `initialMs` up to `maxMs`), and a job whose plugin's circuit is open waits for it to half-open
 * with its attempts untouched (an open circuit says nothing about the job). Pure: time comes in.
 * @module
 */
import type { Availability } from '../manager/circuit-breaker.js';

export interface RetryBackoff {
  /** Wait before the second attempt; doubles per attempt. Default 250 ms. */
  initialMs: number;
  /** The most a retry waits. Default 10 s. */
  maxMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { initialMs: 250, maxMs: 10_000 };

/** Milliseconds before attempt `next` (2, 3, …) may start. */
export function retryDelay(backoff: RetryBackoff, next: number): number {
  if (next <= 1 || backoff.initialMs <= 0) return 0;
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** (next - 2));
}

/** Errors that say the plugin, not the job, could not run now: the attempt is not counted. */
export function attemptNotCounted(code: string): boolean {
  return code === 'ERR_PLUGIN_CIRCUIT_OPEN';
}

/** Words for `explain` about a plugin whose circuit is open. */
export function unavailableWords(plugin: string, a: Availability): string {
  const when = a.retryAt === null ? 'until it is reset' : `until ${new Date(a.retryAt).toISOString()}`;
  return (
    `plugin "${plugin}" is unavailable: it crashed ${a.crashes ?? 0} times and its circuit is open ${when} ` +
    `(\`bulkhead plugins reset ${plugin}\` closes it now); the job waits, its attempts untouched`
  );
}
