/**
 * What a Redis queue refuses at submit, before anything is written: the SQLite queue's checks
 * (options, plugin known and enabled, input schema, resources that can never fit), except that a
 * plugin this host does not have is accepted when another live host has it.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { PluginManager } from '../../manager/plugin-manager.js';
import { describeIssues, validateAgainstSchema } from '../../manifest/index.js';
import { hasNeeds } from '../../resources/resource-ledger.js';
import { insufficient, type Scheduler } from '../../resources/scheduler.js';
import { encodeValue } from '../codec.js';
import type { SubmitOptions } from '../types.js';
import { toBullPriority } from './bull-priority.js';
import type { HostRegistry } from './host-registry.js';

export async function checkSubmit(
  deps: { manager: PluginManager; scheduler: Scheduler; hosts: HostRegistry },
  plugin: string,
  input: unknown,
  options: SubmitOptions,
): Promise<void> {
  const { manager, scheduler, hosts } = deps;
  const bad = (m: string) => new BulkheadError('ERR_INVALID_ARGUMENT', m);
  if (
    options.timeout !== undefined &&
    !(Number.isFinite(options.timeout) && options.timeout > 0 && options.timeout <= 2 ** 31 - 1)
  )
    throw bad(`"timeout" must be a positive number of ms (got ${options.timeout})`);
  if (options.maxAttempts !== undefined && !(Number.isSafeInteger(options.maxAttempts) && options.maxAttempts >= 1))
    throw bad(`"maxAttempts" must be an integer ≥ 1 (got ${options.maxAttempts})`);
  if (options.priority !== undefined && !Number.isFinite(options.priority))
    throw bad(`"priority" must be a finite number (got ${options.priority})`);
  if (
    options.idempotencyKey !== undefined &&
    (typeof options.idempotencyKey !== 'string' || options.idempotencyKey === '')
  )
    throw bad('"idempotencyKey" must be a non-empty string');
  toBullPriority(options.priority ?? 0);
  let info = manager.get(plugin);
  if (info === undefined) {
    await manager.discover();
    info = manager.get(plugin);
  }
  if (info === undefined) {
    // Not installed here: fine if another live host has it (it will run the job).
    const live = await hosts.list();
    if (!live.some((h) => h.plugins.includes(plugin))) {
      throw new BulkheadError('ERR_UNKNOWN_PLUGIN', `no plugin named "${plugin}" on any host of this queue`, {
        name: plugin,
        reason: 'no-host',
      });
    }
    encodeValue(input); // ERR_SERIALIZE here, not on the host that runs it
    return;
  }
  if (!info.enabled)
    throw new BulkheadError('ERR_PLUGIN_DISABLED', `plugin "${plugin}" is disabled; enable it first`, {
      name: plugin,
    });
  const schema = manager.inputSchemaOf(plugin);
  if (schema) {
    const issues = validateAgainstSchema(schema, input);
    if (issues.length > 0) {
      const list = describeIssues(issues);
      throw new BulkheadError('ERR_INPUT_INVALID', `input for plugin "${plugin}" is invalid: ${list}`, { issues });
    }
  }
  const needs = { ...manager.resourcesOf(plugin), ...options.resources };
  if (hasNeeds(needs) && scheduler.policy !== 'permissive') {
    await scheduler.fresh();
    const possible = scheduler.ledger.possible(needs);
    if (!possible.ok) throw insufficient(possible);
  }
}
