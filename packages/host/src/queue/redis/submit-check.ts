/**
 * What a Redis queue refuses at submit, before anything is written: the SQLite queue's checks
 * (options, plugin known and enabled, input schema, resources that can never fit), except that a
 * plugin this host does not have is accepted when another live host has it.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import { checkInput } from '../../manifest/input-check.js';
import { hasNeeds } from '../../resources/resource-ledger.js';
import { insufficient, type Scheduler } from '../../resources/scheduler.js';
import { encodeValue } from '../codec.js';
import type { PluginRunner } from '../plugin-runner.js';
import { checkSubmitOptions } from '../submit-checks.js';
import type { SubmitOptions } from '../types.js';
import { toBullPriority } from './bull-priority.js';
import type { HostRegistry } from './host-registry.js';

export async function checkSubmit(
  deps: { manager: PluginRunner; scheduler: Scheduler; hosts: HostRegistry },
  plugin: string,
  input: unknown,
  options: SubmitOptions,
): Promise<void> {
  const { manager, scheduler, hosts } = deps;
  checkSubmitOptions(options); // the SQLite queue's own checks, word for word
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
  checkInput(plugin, manager.inputSchemaOf(plugin), input);
  const needs = { ...manager.resourcesOf(plugin), ...options.resources };
  if (hasNeeds(needs) && scheduler.policy !== 'permissive') {
    await scheduler.fresh();
    const possible = scheduler.ledger.possible(needs);
    if (!possible.ok) throw insufficient(possible);
  }
}
