/**
 * How the manager starts a discovered plugin's worker. One function, used by the manager and by
 * the CLI's prelaunch: a prelaunched worker is adopted only when both work out the same spawn.
 * @module
 */
import type { DiscoveredPlugin } from '../manifest/manifest.js';
import type { PluginProcessOptions } from '../process/plugin-process.js';
import type { PluginManagerOptions } from './types.js';
import { heapCapArgs } from './worker-limits.js';

export function workerOptionsFor(
  plugin: DiscoveredPlugin,
  worker: PluginManagerOptions['worker'] = {},
): PluginProcessOptions {
  const { envVars, passEnv, limits } = plugin.manifest;
  // A Node worker's memory limit is its heap cap too (the RSS watchdog sees the rest).
  const heapCap = plugin.manifest.runtime === 'python' ? [] : heapCapArgs(limits);
  return {
    ...worker,
    ...(envVars ? { env: { ...worker.env, ...envVars } } : {}),
    ...(passEnv ? { passEnv: [...(worker.passEnv ?? []), ...passEnv] } : {}),
    ...(heapCap.length > 0 ? { execArgv: heapCap } : {}),
    plugin: plugin.entryPath,
    cwd: plugin.envDir,
    ...(plugin.nodePath ? { nodePath: plugin.nodePath } : {}),
    // The one place the runtime matters: how the worker is spawned.
    ...(plugin.manifest.runtime === 'python'
      ? { runtime: 'python' as const, ...(plugin.pythonPath ? { python: plugin.pythonPath } : {}) }
      : {}),
  };
}
