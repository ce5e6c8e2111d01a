/**
 * `@bulkhead/sdk/errors`: the one registry of Bulkhead error codes, shared by the worker and the
 * host so that a failure means the same thing on both sides of the wire. The parts: each area's
 * codes and their behaviour (`errors/*-codes.ts`, joined in errors/registry.ts), what each code
 * carries (errors/error-data.ts), the error class (errors/bulkhead-error.ts) and its wire form
 * (errors/wire-error.ts).
 *
 * Every code is documented in docs/errors.md; a test keeps the two in step.
 * Any new export added here becomes public API. Named exports only; a test pins the surface.
 * @module
 */
export { CLI_EXIT, type CliExitCode, type ErrorBehaviour } from './errors/behaviour.js';
export { BulkheadError, isBulkheadError, toBulkheadError } from './errors/bulkhead-error.js';
export type {
  ConfigIssue,
  ErrorData,
  ErrorDataMap,
  InstallFailedData,
  RedisUnavailableReason,
  StoreUnavailableReason,
  ThrownDetails,
  WorkerExitReason,
} from './errors/error-data.js';
export { type BulkheadErrorCode, behaviourOf, ERROR_CODES, ERRORS, hintOf, isRetryable } from './errors/registry.js';
export { errorFromWire, isWireError, type WireError } from './errors/wire-error.js';
