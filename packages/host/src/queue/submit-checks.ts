/**
 * What a job must pass before it is stored: valid options, a known and enabled plugin, input that
 * matches the plugin's schema, and needs that the machine can meet (policy `queue`: ever; `safety`:
 * now). Each refusal is a BulkheadError with its code, and nothing is written.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import { checkInput } from '../manifest/input-check.js';
import { hasNeeds, type ResourceNeeds } from '../resources/resource-ledger.js';
import { insufficient, type Scheduler } from '../resources/scheduler.js';
import type { PluginRunner } from './plugin-runner.js';
import type { SubmitOptions } from './types.js';

/** The options alone, before anything is looked up. */
export function checkSubmitOptions(options: SubmitOptions): void {
  const { timeout, maxAttempts, priority, idempotencyKey } = options;
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0 && timeout <= 2 ** 31 - 1)) {
    throw new BulkheadError('ERR_INVALID_ARGUMENT', `"timeout" must be a positive number of ms (got ${timeout})`);
  }
  if (maxAttempts !== undefined && !(Number.isSafeInteger(maxAttempts) && maxAttempts >= 1)) {
    throw new BulkheadError('ERR_INVALID_ARGUMENT', `"maxAttempts" must be an integer ≥ 1 (got ${maxAttempts})`);
  }
  if (priority !== undefined && !Number.isFinite(priority)) {
    throw new BulkheadError('ERR_INVALID_ARGUMENT', `"priority" must be a finite number (got ${priority})`);
  }
  if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || idempotencyKey === '')) {
    throw new BulkheadError('ERR_INVALID_ARGUMENT', '"idempotencyKey" must be a non-empty string');
  }
}

/** The plugin as submit finds it, looked for once more (discovery) when not known yet; undefined if still not. */
export async function findPlugin(runner: PluginRunner, plugin: string): Promise<ReturnType<PluginRunner['get']>> {
  const info = runner.get(plugin);
  if (info !== undefined) return info;
  await runner.discover();
  return runner.get(plugin);
}

/** A plugin this host has: enabled, and the input matches the schema its manifest declares. */
export function checkPluginInput(
  runner: PluginRunner,
  info: { enabled: boolean },
  plugin: string,
  input: unknown,
): void {
  if (!info.enabled)
    throw new BulkheadError('ERR_PLUGIN_DISABLED', `plugin "${plugin}" is disabled; enable it first`, {
      name: plugin,
    });
  checkInput(plugin, runner.inputSchemaOf(plugin), input);
}

/** Every check; resolves with what one run of the job needs (the manifest's, overridden by `options.resources`). */
export async function checkSubmit(
  runner: PluginRunner,
  scheduler: Scheduler,
  plugin: string,
  input: unknown,
  options: SubmitOptions,
): Promise<ResourceNeeds> {
  checkSubmitOptions(options);
  const info = await findPlugin(runner, plugin);
  if (info === undefined)
    throw new BulkheadError('ERR_UNKNOWN_PLUGIN', `no plugin named "${plugin}"`, { name: plugin });
  checkPluginInput(runner, info, plugin, input);
  const needs = { ...runner.resourcesOf(plugin), ...options.resources };
  if (hasNeeds(needs)) {
    // Even `permissive` needs a measurement for a job with needs: it still reserves GPUs by it.
    await scheduler.fresh();
    const policy = scheduler.policy;
    if (policy !== 'permissive') {
      const possible = scheduler.ledger.possible(needs);
      if (!possible.ok) throw insufficient(possible);
      if (policy === 'safety') {
        const fit = scheduler.ledger.fit(needs);
        if (!fit.ok) throw insufficient(fit);
      }
    }
  }
  return needs;
}
