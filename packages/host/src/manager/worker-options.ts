/**
 * How the manager starts a discovered plugin's worker. One function, used by the manager and by
 * the CLI's prelaunch: a prelaunched worker is adopted only when both work out the same spawn.
 * @module
 */

import { dirname } from 'node:path';
import type { DiscoveredPlugin } from '../manifest/manifest.js';
import { permissionArgs } from '../process/node-permissions.js';
import type { PluginProcessOptions } from '../process/plugin-process.js';
import { resolveWorkerEntry } from '../process/worker-command.js';
import type { PluginManagerOptions } from './types.js';
import { enforcedLimits, heapCapArgs } from './worker-limits.js';

export function workerOptionsFor(
  plugin: DiscoveredPlugin,
  worker: PluginManagerOptions['worker'] = {},
): PluginProcessOptions {
  const { envVars, passEnv } = plugin.manifest;
  const limits = enforcedLimits(plugin.manifest);
  // A Node worker's memory limit is its heap cap too (the RSS watchdog sees the rest).
  const node = plugin.manifest.runtime !== 'python';
  const heapCap = node ? heapCapArgs(limits) : [];
  // The manifest's permissions, as Node's permission model (a seat belt: node-permissions.ts).
  const permissions = node && plugin.manifest.permissions ? permissionFlags(plugin) : [];
  const execArgv = [...heapCap, ...permissions];
  return {
    ...worker,
    ...(envVars ? { env: { ...worker.env, ...envVars } } : {}),
    ...(passEnv ? { passEnv: [...(worker.passEnv ?? []), ...passEnv] } : {}),
    ...(execArgv.length > 0 ? { execArgv } : {}),
    plugin: plugin.entryPath,
    cwd: plugin.envDir,
    ...(plugin.nodePath ? { nodePath: plugin.nodePath } : {}),
    // The one place the runtime matters: how the worker is spawned.
    ...(plugin.manifest.runtime === 'python'
      ? { runtime: 'python' as const, ...(plugin.pythonPath ? { python: plugin.pythonPath } : {}) }
      : {}),
  };
}

function permissionFlags(plugin: DiscoveredPlugin): string[] {
  return permissionArgs(plugin.manifest.permissions ?? {}, {
    pluginFile: plugin.entryPath,
    workerEntry: resolveWorkerEntry(plugin.entryPath),
    cwd: plugin.envDir,
    baseDir: dirname(plugin.manifestPath),
  });
}
