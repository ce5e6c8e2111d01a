// Compile-time tests: `tsc -b` fails if the types that flow from definePlugin to the host are wrong.
// The runtime part only checks that the file ran.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type ChunkOf,
  type ConfigInputOf,
  type ConfigOf,
  definePlugin,
  type InputOf,
  type OutputOf,
  type StreamInputOf,
} from '@bulkhead/sdk';
import type { PluginProcess } from 'bulkhead';
import type echo from '../fixtures/plugins/echo.js';
import type noop from '../fixtures/plugins/noop.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_proof?: T): void {}

type Echo = typeof echo;
expectType<Equal<InputOf<Echo>, { x?: unknown; log?: string }>>();
expectType<Equal<OutputOf<Echo>, { echo: { x?: unknown; log?: string }; prefix: string; repeat: number }>>();
expectType<Equal<StreamInputOf<Echo>, { count: number; bytes?: number }>>();
expectType<Equal<ChunkOf<Echo>, { i: number; data: Uint8Array<ArrayBuffer> } | { i: number; data?: undefined }>>();
expectType<Equal<ConfigOf<Echo>, { prefix: string; repeat: number }>>();
expectType<Equal<ConfigInputOf<Echo>, { prefix?: string | undefined; repeat?: number | undefined }>>();
expectType<Equal<ConfigOf<typeof noop>, Record<string, never>>>();

// A plain JSON Schema config: its values are not typed, but neither side refuses a config.
const jsonConfigured = definePlugin({
  name: 'json-configured',
  version: '1.0.0',
  config: { type: 'object', properties: { mode: { enum: ['fast', 'exact'], default: 'fast' } } },
  execute: (_input: unknown, ctx) => ctx.config,
});
expectType<Equal<ConfigOf<typeof jsonConfigured>, Record<string, unknown>>>();
expectType<Equal<ConfigInputOf<typeof jsonConfigured>, Record<string, unknown>>>();

// The host handle carries the same types.
declare const proc: PluginProcess<Echo>;
type ExecuteResult = Awaited<ReturnType<typeof proc.execute>>;
expectType<Equal<ExecuteResult, OutputOf<Echo>>>();
type ExecuteInput = Parameters<typeof proc.execute>[0];
expectType<Equal<ExecuteInput, InputOf<Echo>>>();
// @ts-expect-error: a wrong input type is a compile error
const _wrong = () => proc.execute({ log: 42 });
// An untyped handle accepts anything and returns unknown.
declare const anyProc: PluginProcess;
expectType<Equal<Awaited<ReturnType<typeof anyProc.execute>>, unknown>>();

test('types flow from definePlugin to PluginProcess (checked by tsc)', () => {
  assert.equal(jsonConfigured.definition.name, 'json-configured');
});
