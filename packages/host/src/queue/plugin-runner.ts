/**
 * PluginRunner: what a job queue needs of the plugins it runs jobs on — a dozen members of
 * `PluginManager`, which satisfies it structurally. The queue depends on this, not on the
 * manager, so dispatch is tested in-process with a fake runner and a second backend (BullMQ,
 * docs/architecture.md) runs its jobs through the same members.
 *
 * @example
 * const queue = await JobQueue.open({ manager: new PluginManager({ pluginPaths }) });
 * @module
 */

import type { LogEntry } from '../process/log-buffer.js';
import type { CallOptions } from '../process/plugin-process.js';
import type { ResourceNeeds } from '../resources/resource-ledger.js';
import type { SystemMonitor } from '../resources/system-monitor.js';

export interface PluginRunner {
  /** The Bulkhead home: the default store (`jobs.db`) and value files live under it. */
  readonly home: string;
  /** Measures free resources for the queue's scheduler (unless the queue is given its own). */
  readonly monitor: SystemMonitor;
  /** The last discovery, or null before the first: the queue discovers before admitting old jobs. */
  readonly discovery: unknown;
  discover(): Promise<unknown>;
  /** The plugin, if discovered: a disabled one is refused at submit. */
  get(name: string): { readonly enabled: boolean } | undefined;
  /** The manifest's input schema, checked at submit; throws for an unknown plugin. */
  inputSchemaOf(name: string): Record<string, unknown> | null;
  /** What one call needs (manifest `resources`); throws for an unknown plugin. */
  resourcesOf(name: string): ResourceNeeds;
  /** Calls the plugin takes at once; throws for an unknown plugin. */
  concurrencyOf(name: string): number;
  /** Whether a call starts without a cold start (the timeline then has no `loading-plugin`). */
  isLoaded(name: string): boolean;
  /** Unloads idle plugins to free what is short; resolves with the names unloaded. */
  evictFor(shortfall: { memoryMB?: number; gpuMemoryMB?: number }): Promise<string[]>;
  /** Runs one attempt of a job: the plugin's `execute`, loading it first if needed. */
  execute(name: string, input: unknown, options?: CallOptions): Promise<unknown>;
  /** Plugin output (`stdout`/`stderr` lines), credited to a job while it runs alone on its plugin. */
  on(event: 'log', listener: (entry: { name: string } & LogEntry) => void): unknown;
  off(event: 'log', listener: (entry: { name: string } & LogEntry) => void): unknown;
}
