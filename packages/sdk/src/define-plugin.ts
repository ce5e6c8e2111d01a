/**
 * What a plugin author writes: `export default definePlugin({ ... })`.
 *
 * @example
 * import { definePlugin } from '@bulkhead/sdk';
 * import { z } from 'zod';
 *
 * export default definePlugin({
 *   name: 'hello',
 *   version: '1.0.0',
 *   config: z.object({ greeting: z.string().default('Hello') }),
 *   async execute(input: { name: string }, ctx) {
 *     ctx.progress(0.5, 'thinking');
 *     return `${ctx.config.greeting}, ${input.name}`;
 *   },
 * });
 * @module
 */
import type { ZodType, z } from 'zod';
import { BulkheadError } from './errors.js';
import { schemaProblem } from './plugin-schema.js';

/** A plain JSON Schema object, e.g. `{ type: 'object', properties: { size: { type: 'integer', default: 8 } } }`. */
export type JsonSchemaObject = { readonly [keyword: string]: unknown };

/**
 * A schema for the plugin's config (or input): zod 4, zod 3, or a plain JSON Schema object. Its
 * JSON Schema goes to the host, which checks values against it.
 */
export type ConfigSchema =
  | ZodType
  | { readonly _output: unknown; safeParse(value: unknown): unknown }
  | JsonSchemaObject;

/** The config type a schema produces after defaults are applied. */
export type ConfigFromSchema<S> = S extends ZodType
  ? z.output<S>
  : S extends { readonly _output: infer O }
    ? O
    : S extends object
      ? Record<string, unknown>
      : Record<string, never>;

export interface Logger {
  debug(message: string, data?: unknown): void;
  info(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
  error(message: string, data?: unknown): void;
}

/** Given to initialize, configure and cleanup. */
export interface InitContext<C> {
  /** The validated config, defaults applied. */
  readonly config: C;
  readonly log: Logger;
}

/** Given to every execute and stream call. */
export interface PluginContext<C> extends InitContext<C> {
  /** Aborted when the host cancels the call (or the stream's consumer stops reading). */
  readonly signal: AbortSignal;
  /** The call's id, unique within this worker. */
  readonly callId: number;
  /**
   * Reports progress to the host, pushed at once. `fraction` is 0..1, or undefined when the amount
   * of work is unknown.
   */
  progress(fraction?: number, message?: string): void;
}

export interface PluginDefinition<I, O, SI, S, Schema extends ConfigSchema | undefined> {
  /** Unique plugin name: lower-case letters, digits, `-`, `_`, `.`, `@`, `/`. */
  name: string;
  /** The plugin's own version (semver recommended). */
  version: string;
  description?: string;
  /** Config schema (zod 4, zod 3 or JSON Schema); the host sees its JSON Schema and validates against it. */
  config?: Schema;
  /**
   * Schema of `execute`'s input (zod 4, zod 3 or JSON Schema). Its JSON Schema goes to the host
   * (the manifest's `inputSchema`, shown to UIs), which checks each job's input at submit.
   */
  input?: ConfigSchema;
  /** Runs once after the handshake, before any call. Load models here. */
  initialize?(config: ConfigFromSchema<Schema>, ctx: InitContext<ConfigFromSchema<Schema>>): void | Promise<void>;
  /** One input, one result. */
  execute?(input: I, ctx: PluginContext<ConfigFromSchema<Schema>>): O | Promise<O>;
  /** One input, many results: an (async) generator. The host pulls; yield is backpressured. */
  stream?(input: SI, ctx: PluginContext<ConfigFromSchema<Schema>>): AsyncIterable<S> | Iterable<S>;
  /** Applies a new config without a restart. Without it, the manager restarts the worker to change config (PluginProcess.configure answers ERR_NOT_SUPPORTED). */
  configure?(config: ConfigFromSchema<Schema>, ctx: InitContext<ConfigFromSchema<Schema>>): void | Promise<void>;
  /** Runs on graceful shutdown. Free GPU memory, close files. */
  cleanup?(): void | Promise<void>;
}

export const PLUGIN_BRAND: unique symbol = Symbol.for('bulkhead.plugin') as never;

/** A defined plugin. The type parameters carry its types to the host's typed handle. */
export interface Plugin<
  I = unknown,
  O = unknown,
  SI = unknown,
  S = unknown,
  Schema extends ConfigSchema | undefined = ConfigSchema | undefined,
> {
  readonly [PLUGIN_BRAND]: true;
  readonly definition: PluginDefinition<I, O, SI, S, Schema>;
}

// biome-ignore lint/suspicious/noExplicitAny: the widest plugin type, for constraints
export type AnyPlugin = Plugin<any, any, any, any, any>;
/* biome-ignore-start lint/suspicious/noExplicitAny: `any` in the positions not being inferred */
export type InputOf<P> = P extends Plugin<infer I, any, any, any, any> ? I : unknown;
export type OutputOf<P> = P extends Plugin<any, infer O, any, any, any> ? Awaited<O> : unknown;
export type StreamInputOf<P> = P extends Plugin<any, any, infer SI, any, any> ? SI : unknown;
export type ChunkOf<P> = P extends Plugin<any, any, any, infer S, any> ? S : unknown;
export type ConfigOf<P> =
  P extends Plugin<any, any, any, any, infer Schema> ? ConfigFromSchema<Schema> : Record<string, unknown>;
/** What the host may pass as config: the schema's input side (fields with defaults are optional). */
export type ConfigInputOf<P> =
  P extends Plugin<any, any, any, any, infer Schema>
    ? Schema extends ZodType
      ? z.input<Schema>
      : Schema extends { readonly _input: infer In }
        ? In
        : Schema extends object
          ? Record<string, unknown>
          : Record<string, never>
    : Record<string, unknown>;
/* biome-ignore-end lint/suspicious/noExplicitAny: `any` in the positions not being inferred */

const NAME = /^[a-z0-9@][a-z0-9._\-/@]*$/;

/**
 * Declares a plugin. Checks the definition at once, so a malformed plugin fails when its module
 * loads, with a message that says what to fix.
 */
export function definePlugin<
  I = unknown,
  O = unknown,
  SI = I,
  S = unknown,
  Schema extends ConfigSchema | undefined = undefined,
>(definition: PluginDefinition<I, O, SI, S, Schema>): Plugin<I, O, SI, S, Schema> {
  const problem = checkDefinition(definition);
  if (problem) throw new BulkheadError('ERR_PLUGIN_INVALID', `definePlugin: ${problem}`);
  return Object.freeze({ [PLUGIN_BRAND]: true as const, definition });
}

// biome-ignore lint/suspicious/noExplicitAny: checks any definition at run time
function checkDefinition(d: PluginDefinition<any, any, any, any, any>): string | undefined {
  if (typeof d !== 'object' || d === null) return 'expected an object';
  if (typeof d.name !== 'string' || !NAME.test(d.name)) {
    return `"name" must be a lower-case name like "image-resize" (got ${JSON.stringify(d.name)})`;
  }
  if (typeof d.version !== 'string' || d.version === '') return '"version" must be a non-empty string';
  for (const hook of ['initialize', 'execute', 'stream', 'configure', 'cleanup'] as const) {
    if (d[hook] !== undefined && typeof d[hook] !== 'function') return `"${hook}" must be a function`;
  }
  if (typeof d.execute !== 'function' && typeof d.stream !== 'function') {
    return 'define "execute", "stream", or both';
  }
  const problem = schemaProblem('config', d.config) ?? schemaProblem('input', d.input);
  return problem === undefined ? undefined : `plugin "${d.name}": ${problem}`;
}

/** True if `value` was made by definePlugin (from any copy of the SDK). */
export function isPlugin(value: unknown): value is AnyPlugin {
  return typeof value === 'object' && value !== null && (value as AnyPlugin)[PLUGIN_BRAND] === true;
}
