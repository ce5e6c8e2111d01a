/**
 * The manager's plugins by name: a discovery merged into them, and the error for a name that is
 * not among them (ERR_UNKNOWN_PLUGIN, saying why: a broken manifest, or the names it is close to).
 * @module
 */
import { basename, dirname } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { DiscoveredPlugin, DiscoveryResult } from '../manifest/index.js';
import type { ManagedPlugin } from './managed-plugin.js';

/**
 * Adds what `result` found (a known plugin gets its fresh manifest), and forgets plugins it no
 * longer finds unless they are running or starting.
 */
export function mergeDiscovery(
  plugins: Map<string, ManagedPlugin>,
  result: DiscoveryResult,
  create: (plugin: DiscoveredPlugin) => ManagedPlugin,
): void {
  const seen = new Set<string>();
  for (const plugin of result.plugins) {
    const name = plugin.manifest.name;
    seen.add(name);
    const existing = plugins.get(name);
    if (existing) existing.plugin = plugin;
    else plugins.set(name, create(plugin));
  }
  for (const [name, m] of plugins) {
    if (seen.has(name) || m.proc !== null || m.loading) continue;
    if (m.restartTimer) clearTimeout(m.restartTimer);
    plugins.delete(name);
  }
}

/** ERR_UNKNOWN_PLUGIN for `name`, which none of `known` is. */
export function unknownPlugin(name: string, known: string[], discovery: DiscoveryResult | null): BulkheadError {
  // A plugin whose manifest is broken is named by its directory: say why it was not discovered.
  const broken = discovery?.errors.find((e) => basename(dirname(e.file)) === name);
  if (broken !== undefined) {
    return new BulkheadError(
      'ERR_UNKNOWN_PLUGIN',
      `plugin "${name}" was not discovered: its manifest ${broken.file} is invalid: ${broken.message}`,
      { name, manifest: broken.file, manifestError: broken.message },
    );
  }
  const close = known.filter((k) => k.includes(name) || name.includes(k));
  return new BulkheadError(
    'ERR_UNKNOWN_PLUGIN',
    `no plugin named "${name}"${close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(', ')}?)` : ''}`,
    { name, ...(close.length ? { known: close } : {}) },
  );
}
