/**
 * Generated plugin directories for the manager benchmarks: `n` manifests of one fixture, each under
 * its own name. A manifest must name the plugin as the plugin names itself
 * (ERR_PLUGIN_NAME_MISMATCH), so each entry is a two-line module re-exporting the fixture renamed.
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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
    writeFileSync(entry, renamed(fixture(fixtureName), name));
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

/** A module that is the plugin at `file`, calling itself `name`. */
function renamed(file: string, name: string): string {
  return [
    `import { definePlugin } from ${JSON.stringify(import.meta.resolve('@bulkhead/sdk'))};`,
    `import plugin from ${JSON.stringify(pathToFileURL(file).href)};`,
    `export default definePlugin({ ...plugin.definition, name: ${JSON.stringify(name)} });`,
    '',
  ].join('\n');
}
