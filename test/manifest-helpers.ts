import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// manifest/ is not (yet) re-exported by the package's entry: load the built module beside it.
export type Manifests = typeof import('../packages/host/src/manifest/index.js');
export type PluginManifest = import('../packages/host/src/manifest/index.js').PluginManifest;
export const {
  applyDefaults,
  compareVersions,
  discover,
  loadManifest,
  manifestSchemaPath,
  searchPaths,
  validateAgainstSchema,
} = (await import(new URL('./manifest/index.js', import.meta.resolve('bulkhead')).href)) as Manifests;

export const { jsonSyntaxError } = (await import(
  new URL('./manifest/json-syntax-error.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../packages/host/src/manifest/json-syntax-error.js');

/** A temp dir, removed when the test ends. */
export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'bulkhead-manifests-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Writes `<root>/<dir>/bulkhead-plugin.json` (an object is JSON-encoded, a string written as is)
 * and the files beside it (by default an `index.js` entry). Returns the manifest's path.
 */
export function writePlugin(
  root: string,
  dir: string,
  manifest: object | string,
  files: Record<string, string> = { 'index.js': 'export default {};\n' },
): string {
  const at = join(root, dir);
  mkdirSync(at, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(at, name)), { recursive: true });
    writeFileSync(join(at, name), text);
  }
  const file = join(at, 'bulkhead-plugin.json');
  writeFileSync(file, typeof manifest === 'string' ? manifest : JSON.stringify(manifest, null, 2));
  return file;
}

/** The smallest valid manifest, with `extra` over it. */
export function manifest(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { manifestVersion: 1, name, version: '1.0.0', entry: 'index.js', ...extra };
}

export const names = (plugins: { manifest: { name: string } }[]) => plugins.map((p) => p.manifest.name);
