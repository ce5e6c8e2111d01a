/**
 * The one registry: every code and its behaviour, the union of the areas' tables. Match on codes,
 * never on messages.
 *
 * To add a code (other issues do): add its entry to its area's table (`*-codes.ts`, grouped by
 * who raises it), its `data` type to `ErrorDataMap` (error-data.ts; `undefined` when it has none), a
 * section and a table row in docs/errors.md (a test compares them), and its HTTP status in the
 * host's server/http-status.ts (a `Record` over every code, so the build asks for it). Never reuse
 * or rename a published code.
 * @module
 */
import type { ErrorBehaviour } from './behaviour.js';
import { CLI_CODES } from './cli-codes.js';
import { MANAGER_CODES } from './manager-codes.js';
import { QUEUE_CODES } from './queue-codes.js';
import { SERVER_CODES } from './server-codes.js';
import { WORKER_CODES } from './worker-codes.js';

/** Every code and its behaviour, area by area. */
export const ERRORS = {
  ...WORKER_CODES,
  ...MANAGER_CODES,
  ...QUEUE_CODES,
  ...CLI_CODES,
  ...SERVER_CODES,
} as const satisfies Record<`ERR_${string}`, ErrorBehaviour>;

export type BulkheadErrorCode = keyof typeof ERRORS;

/** Every code mapped to itself, for `ERROR_CODES.ERR_TIMEOUT`-style references and `code in ERROR_CODES`. */
export const ERROR_CODES = Object.freeze(
  Object.fromEntries(Object.keys(ERRORS).map((c) => [c, c])) as { [C in BulkheadErrorCode]: C },
);

/** The behaviour of a code; an unknown code (from a newer peer) behaves as ERR_INTERNAL. */
export function behaviourOf(code: string): ErrorBehaviour {
  return (ERRORS as Record<string, ErrorBehaviour>)[code] ?? ERRORS.ERR_INTERNAL;
}

/** Whether a job that failed with `code` may be run again. */
export function isRetryable(code: string): boolean {
  return behaviourOf(code).retryable;
}

/** The CLI's hint for an error, its `{field}`s filled from `data`; undefined when the code has none. */
export function hintOf(e: { code: string; data?: unknown }): string | undefined {
  const hint = behaviourOf(e.code).hint;
  const data = (typeof e.data === 'object' && e.data !== null ? e.data : {}) as Record<string, unknown>;
  return hint?.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = data[k];
    return typeof v === 'string' || typeof v === 'number' ? String(v) : k.toUpperCase();
  });
}
