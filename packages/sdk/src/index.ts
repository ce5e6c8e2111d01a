/**
 * `@bulkhead/sdk`: what a plugin author imports.
 * Any new export added here becomes public API. Named exports only.
 * @module
 */

// Defining plugins
export {
  type AnyPlugin,
  type ChunkOf,
  type ConfigFromSchema,
  type ConfigInputOf,
  type ConfigOf,
  type ConfigSchema,
  definePlugin,
  type InitContext,
  type InputOf,
  isPlugin,
  type Logger,
  type OutputOf,
  type Plugin,
  type PluginContext,
  type PluginDefinition,
  type StreamInputOf,
} from './define-plugin.js';

// Errors
export {
  BulkheadError,
  type BulkheadErrorCode,
  type ConfigIssue,
  ERROR_CODES,
  type ErrorData,
  type ErrorDataMap,
  errorFromWire,
  isBulkheadError,
  isWireError,
  toBulkheadError,
  type WireError,
} from './errors.js';

// Values
export { type FileHandoff, handoff } from './protocol/handoff.js';

// Protocol version, for diagnostics
export { PROTOCOL_VERSION } from './protocol/version.js';
