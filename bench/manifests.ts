/**
 * Generated plugin directories for the manager benchmarks: `n` manifests pointing at one fixture.
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    writeFileSync(
      join(dir, name, 'bulkhead-plugin.json'),
      JSON.stringify({
        manifestVersion: 1,
        name,
        version: '1.0.0',
        category: `cat-${i % 10}`,
        entry: fixture(fixtureName),
        resources: { memoryMB: 128 },
        concurrency,
      }),
    );
  }
  return { dir, home: join(root, 'home'), names, remove: () => rmSync(root, { recursive: true, force: true }) };
}
