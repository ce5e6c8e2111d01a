/**
 * `@bulkhead/sdk`: what a plugin author imports: `definePlugin` and its types, the errors a plugin
 * throws and meets, and `handoff` for large values. The wire (frames, payloads, wire errors,
 * the protocol version) is `@bulkhead/sdk/protocol`; the whole error registry with each code's
 * behaviour is `@bulkhead/sdk/errors`; the worker process's entry is `@bulkhead/sdk/worker`.
 * Any new export added here becomes public API. Named exports only; a test pins the surface.
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
  type ErrorData,
  type ErrorDataMap,
  isBulkheadError,
  toBulkheadError,
} from './errors.js';

// Values
export { type FileHandoff, handoff } from './protocol/handoff.js';
