/**
 * Applying a config update to one plugin: checked first (nothing changes if it is refused), then
 * live through the plugin's `configure` when it has one, else by restarting its worker once it is
 * idle; persisted, merged over what is stored. Updates of one plugin run one after another.
 * @module
 */
import type { EventEmitter } from 'node:events';
import type { ManagedPlugin } from './managed-plugin.js';
import { nextConfig } from './plugin-config.js';
import type { PluginWorkers } from './plugin-workers.js';
import type { StateStore } from './state-store.js';
import type { ConfigApplied, PluginManagerEvents } from './types.js';

type Config = Record<string, unknown>;

export interface ConfigUpdateContext {
  state: StateStore;
  workers: PluginWorkers;
  /** The manager: 'restarted' and 'config-changed' are emitted here. */
  events: EventEmitter<PluginManagerEvents>;
}

/** Queues the update behind the plugin's earlier ones: each merges over the one before, none is lost. */
export function updateConfig(
  ctx: ConfigUpdateContext,
  m: ManagedPlugin,
  partial: Config,
): Promise<{ config: Config; applied: ConfigApplied }> {
  const run = m.configChain.then(() => apply(ctx, m, partial));
  m.configChain = run.catch(() => {});
  return run;
}

async function apply(
  ctx: ConfigUpdateContext,
  m: ManagedPlugin,
  partial: Config,
): Promise<{ config: Config; applied: ConfigApplied }> {
  const name = m.name;
  // A worker starting now was given the old config: apply the new one to it once it is up.
  if (m.loading) await m.loading.catch(() => {});
  const config = nextConfig(m, ctx.state.get(name).config, partial);
  let applied: ConfigApplied = 'stored';
  const proc = m.proc;
  if (proc?.alive) {
    if (proc.info.capabilities.configure) {
      await proc.configure(config as never); // the worker validates too; on refusal nothing is stored
      applied = 'hot';
    } else applied = 'restart';
  }
  // Merged into the config as stored now: another process may have set other keys meanwhile.
  ctx.state.update(name, (current) => ({ config: { ...(current.config ?? {}), ...partial } }));
  if (applied === 'restart') {
    await m.whenIdle();
    await ctx.workers.stop(m, 'config');
    const fresh = await ctx.workers.acquire(m);
    ctx.events.emit('restarted', { name, pid: fresh.pid ?? -1, reason: 'config' });
  }
  ctx.workers.note(m, 'info', `config changed (${applied})`);
  ctx.events.emit('config-changed', { name, config, applied });
  return { config, applied };
}
