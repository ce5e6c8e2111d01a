import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureAs, tempDir } from './helpers.js';

export interface FakePlugin {
  name: string;
  /** Compiled fixture plugin to run, e.g. 'echo'. */
  fixture: string;
  version?: string;
  category?: string;
  resources?: Record<string, number>;
  configSchema?: Record<string, unknown>;
  config?: Record<string, unknown>;
  capabilities?: Record<string, boolean>;
  inputSchema?: Record<string, unknown>;
  concurrency?: number;
}

/** JSON Schema of the echo fixture's config, as an installer would write it into the manifest. */
export const ECHO_SCHEMA = {
  type: 'object',
  properties: {
    prefix: { type: 'string', default: '>' },
    repeat: { type: 'integer', minimum: 1, default: 1 },
  },
  additionalProperties: false,
};

export const RESTART_CONFIG_SCHEMA = {
  type: 'object',
  properties: { mode: { enum: ['fast', 'accurate'], default: 'fast' } },
  additionalProperties: false,
};

/** A fresh temp dir with one plugin directory (manifest + entry) per plugin. */
export function pluginDir(plugins: FakePlugin[], into = tempDir('bulkhead-plugins-')): string {
  for (const p of plugins) {
    const dir = join(into, `${p.name}-${p.version ?? '1.0.0'}`);
    mkdirSync(dir, { recursive: true });
    const manifest: Record<string, unknown> = {
      manifestVersion: 1,
      name: p.name,
      version: p.version ?? '1.0.0',
      entry: fixtureAs(p.name, p.fixture),
    };
    if (p.category) manifest.category = p.category;
    if (p.resources) manifest.resources = p.resources;
    if (p.configSchema) manifest.configSchema = p.configSchema;
    if (p.config) manifest.config = p.config;
    if (p.capabilities) manifest.capabilities = p.capabilities;
    if (p.inputSchema) manifest.inputSchema = p.inputSchema;
    if (p.concurrency) manifest.concurrency = p.concurrency;
    writeFileSync(join(dir, 'bulkhead-plugin.json'), JSON.stringify(manifest, null, 2));
  }
  return into;
}

/** A fresh, empty Bulkhead home. */
export function tempHome(): string {
  return tempDir('bulkhead-home-');
}
