/**
 * How the manager starts a discovered plugin's worker. One function, used by the manager and by
 * the CLI's prelaunch: a prelaunched worker is adopted only when both work out the same spawn.
 * @module
 */
import type { DiscoveredPlugin } from '../manifest/manifest.js';
import type { PluginProcessOptions } from '../process/plugin-process.js';
import type { PluginManagerOptions } from './types.js';

export function workerOptionsFor(
  plugin: DiscoveredPlugin,
  worker: PluginManagerOptions['worker'] = {},
): PluginProcessOptions {
  const { envVars, passEnv } = plugin.manifest;
  return {
    ...worker,
    ...(envVars ? { env: { ...worker.env, ...envVars } } : {}),
    ...(passEnv ? { passEnv: [...(worker.passEnv ?? []), ...passEnv] } : {}),
    plugin: plugin.entryPath,
    cwd: plugin.envDir,
    ...(plugin.nodePath ? { nodePath: plugin.nodePath } : {}),
    // The one place the runtime matters: how the worker is spawned.
    ...(plugin.manifest.runtime === 'python'
      ? { runtime: 'python' as const, ...(plugin.pythonPath ? { python: plugin.pythonPath } : {}) }
      : {}),
  };
}
