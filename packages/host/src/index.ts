/**
 * `bulkhead`: the host side. Any new export added here becomes public API. Named exports only.
 * @module
 */

// Errors (the same registry the worker uses)
export {
  BulkheadError,
  type BulkheadErrorCode,
  ERROR_CODES,
  isBulkheadError,
  toBulkheadError,
} from '@bulkhead/sdk';
export type { LogEntry, LogLevel, LogSource } from './process/log-buffer.js';
// Running one plugin in its own process
export {
  type CallOptions,
  PluginProcess,
  type PluginProcessEvents,
  type PluginProcessOptions,
  type ProcessStats,
  type Progress,
  type WorkerExit,
} from './process/plugin-process.js';
export { PluginStream } from './process/plugin-stream.js';
