/**
 * Generated plugin directories for the manager benchmarks: `n` manifests of one fixture, each under
 * its own name. A manifest must name the plugin as the plugin names itself
 * (ERR_PLUGIN_NAME_MISMATCH), so each entry re-exports the fixture renamed (support/renamed-plugin.ts).
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renamedPluginModule } from '../support/renamed-plugin.js';
import { fixture } from './paths.js';

export interface PluginTree {
  dir: string;
  home: string;
  names: string[];
  remove(): void;
}

export function pluginTree(n: number, fixtureName = 'noop', concurrency = 1): PluginTree {
  const root = mkdtempSync(join(tmpdir(), 'bulkhead-bench-'));
  const dir = join(root, 'plugins');
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `bench-${String(i).padStart(4, '0')}`;
    names.push(name);
    mkdirSync(join(dir, name), { recursive: true });
    const entry = join(dir, name, 'plugin.js');
    writeFileSync(entry, renamedPluginModule(fixture(fixtureName), name));
    writeFileSync(
      join(dir, name, 'bulkhead-plugin.json'),
      JSON.stringify({
        manifestVersion: 1,
        name,
        version: '1.0.0',
        category: `cat-${i % 10}`,
        entry,
        resources: { memoryMB: 128 },
        concurrency,
      }),
    );
  }
  return { dir, home: join(root, 'home'), names, remove: () => rmSync(root, { recursive: true, force: true }) };
}
