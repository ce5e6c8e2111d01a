import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isBulkheadError } from '@bulkhead/sdk';

// Not part of the package's public entry: load the built module beside it.
const { workerCommand } = (await import(
  new URL('./process/worker-command.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../../packages/host/src/process/worker-command.js');

const dir = mkdtempSync(join(tmpdir(), 'bulkhead-worker-command-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The plugin module a worker would be started with. */
const pluginOf = (plugin: string | URL) => workerCommand({ plugin }).args.at(-1);

describe('workerCommand: which plugin file', () => {
  test('X.js that does not exist runs X.ts when only the source is there (as TypeScript resolves ./X.js)', () => {
    writeFileSync(join(dir, 'only-source.ts'), 'export default {};\n');
    writeFileSync(join(dir, 'only-source.mts'), 'export default {};\n');
    assert.equal(pluginOf(join(dir, 'only-source.js')), join(dir, 'only-source.ts'));
    assert.equal(pluginOf(pathToFileURL(join(dir, 'only-source.js'))), join(dir, 'only-source.ts'));
    assert.equal(pluginOf(join(dir, 'only-source.mjs')), join(dir, 'only-source.mts'));
  });

  test('X.js that exists is X.js, even beside its source', () => {
    writeFileSync(join(dir, 'built.ts'), 'export default {};\n');
    writeFileSync(join(dir, 'built.js'), 'export default {};\n');
    assert.equal(pluginOf(join(dir, 'built.js')), join(dir, 'built.js'));
  });

  test('neither: ERR_PLUGIN_MODULE_NOT_FOUND names the path asked for', () => {
    assert.throws(
      () => pluginOf(join(dir, 'missing.js')),
      (e: unknown) => isBulkheadError(e, 'ERR_PLUGIN_MODULE_NOT_FOUND') && e.message.endsWith(join(dir, 'missing.js')),
    );
  });
});
