/**
 * What loading a manifest costs a fresh process: discovery runs in every CLI process, so reading a
 * manifest must not load Ajv (only checking a config against a schema does). Needs a process of its
 * own, whose module cache holds only what loading a manifest imported.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

test('reading a manifest does not load Ajv (discovery runs in every CLI process)', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'bulkhead-manifests-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'a'));
  writeFileSync(join(root, 'a', 'index.js'), 'export default {};\n');
  const file = join(root, 'a', 'bulkhead-plugin.json');
  writeFileSync(file, JSON.stringify({ manifestVersion: 1, name: 'a', version: '1.0.0', entry: 'index.js' }));
  const script = `
    import { createRequire } from 'node:module';
    const { loadManifest } = await import(${JSON.stringify(new URL('./manifest/index.js', import.meta.resolve('bulkhead')).href)});
    await loadManifest(${JSON.stringify(file)});
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => /ajv.dist.(ajv|2020|core).js$/.test(k));
    process.stdout.write(JSON.stringify(loaded));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), []);
});
