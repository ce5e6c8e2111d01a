import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError } from 'bulkhead';
import { sourceFixture } from '../helpers.js';
import {
  compareVersions,
  jsonSyntaxError,
  loadManifest,
  manifest,
  manifestSchemaPath,
  type PluginManifest,
  tempDir,
  writePlugin,
} from '../manifest-helpers.js';

describe('loadManifest', () => {
  test('applies defaults and resolves entry, env and node to absolute paths', async (t) => {
    const root = tempDir(t);
    const file = writePlugin(root, 'ocr', manifest('ocr', { env: 'venv', node: 'bin/node' }), {
      'index.js': '',
      'venv/.keep': '',
      'bin/node': '',
    });
    const plugin = await loadManifest(file);
    const dir = join(root, 'ocr');
    assert.deepEqual(plugin, {
      manifest: {
        ...manifest('ocr', { env: 'venv', node: 'bin/node' }),
        category: 'general',
        concurrency: 1,
        runtime: 'node',
      },
      manifestPath: file,
      dir,
      entryPath: join(dir, 'index.js'),
      envDir: join(dir, 'venv'),
      nodePath: join(dir, 'bin', 'node'),
    });
  });

  test('absolute paths stay as they are; env defaults to the manifest directory, node to none', async (t) => {
    const root = tempDir(t);
    const entry = join(root, 'elsewhere.js');
    writeFileSync(entry, '');
    const plain = await loadManifest(writePlugin(root, 'a', manifest('a', { entry }), {}));
    assert.equal(plain.entryPath, entry);
    assert.equal(plain.envDir, join(root, 'a'));
    assert.equal('nodePath' in plain, false);
    const pinned = await loadManifest(writePlugin(root, 'b', manifest('b', { node: process.execPath })));
    assert.equal(pinned.nodePath, process.execPath);
  });

  test('every field of the schema is accepted (the full fixture) and the TS type has the same keys', async () => {
    const plugin = await loadManifest(sourceFixture('manifests', 'full', 'bulkhead-plugin.json'));
    assert.equal(plugin.manifest.name, '@acme/ocr');
    assert.equal(plugin.manifest.category, 'vision');
    assert.equal(plugin.entryPath, sourceFixture('manifests', 'full', 'index.js'));
    // A compile-time list: adding a field to PluginManifest without listing it here fails tsc.
    const keys: Record<keyof PluginManifest, true> = {
      $schema: true,
      manifestVersion: true,
      name: true,
      version: true,
      description: true,
      author: true,
      package: true,
      category: true,
      entry: true,
      runtime: true,
      python: true,
      env: true,
      node: true,
      envVars: true,
      passEnv: true,
      configSchema: true,
      config: true,
      resources: true,
      limits: true,
      permissions: true,
      capabilities: true,
      concurrency: true,
      inputSchema: true,
    };
    const schema = JSON.parse(readFileSync(manifestSchemaPath, 'utf8'));
    assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(keys).sort());
    assert.deepEqual(
      Object.keys(plugin.manifest).sort(),
      Object.keys(keys)
        .filter((k) => k !== 'node' && k !== 'python')
        .sort(),
    );
    assert.equal(plugin.manifest.runtime, 'node', 'runtime defaults to node');
  });

  test('a Python manifest: a file entry (with a class name) is resolved and checked, a module entry kept, the interpreter resolved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-pymanifest-'));
    try {
      writeFileSync(join(dir, 'plugin.py'), 'x = 1\n');
      mkdirSync(join(dir, 'venv', 'bin'), { recursive: true });
      writeFileSync(join(dir, 'venv', 'bin', 'python'), '');
      const write = (m: object) => {
        writeFileSync(
          join(dir, 'bulkhead-plugin.json'),
          JSON.stringify({ manifestVersion: 1, name: 'py', version: '1.0.0', ...m }),
        );
        return loadManifest(join(dir, 'bulkhead-plugin.json'));
      };
      const file = await write({ runtime: 'python', entry: 'plugin.py:Upper', python: 'venv/bin/python' });
      assert.equal(file.entryPath, `${join(dir, 'plugin.py')}:Upper`);
      assert.equal(file.pythonPath, join(dir, 'venv', 'bin', 'python'));
      const mod = await write({ runtime: 'python', entry: 'my_pkg.plugin:Upper', python: 'python3.12' });
      assert.equal(mod.entryPath, 'my_pkg.plugin:Upper');
      assert.equal(mod.pythonPath, 'python3.12', 'a bare command name is looked up on PATH at spawn');
      await assert.rejects(write({ runtime: 'python', entry: 'missing.py', python: 'venv/bin/nope' }), (e) => {
        assert.ok(isBulkheadError(e, 'ERR_MANIFEST_INVALID'));
        assert.match(e.message, /entry file missing\.py does not exist/);
        assert.match(e.message, /python interpreter venv\/bin\/nope does not exist/);
        return true;
      });
      await assert.rejects(
        write({ runtime: 'ruby', entry: 'plugin.py' }),
        (e) => isBulkheadError(e, 'ERR_MANIFEST_INVALID') && /runtime/.test(e.message),
      );
      await assert.rejects(
        write({ entry: 'plugin.py', python: 'venv/bin/python' }),
        (e) =>
          isBulkheadError(e, 'ERR_MANIFEST_INVALID') && /python is set but runtime is not "python"/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the published schema is draft 2020-12, has an $id, and describes every field', async () => {
    const schema = JSON.parse(readFileSync(manifestSchemaPath, 'utf8'));
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(typeof schema.$id, 'string');
    assert.equal(schema.additionalProperties, false);
    const { default: ajvModule } = await import('ajv/dist/2020.js');
    const ajv = new ajvModule.default({ strict: true });
    assert.equal(ajv.validateSchema(schema), true, ajv.errorsText(ajv.errors));
    const undescribed: string[] = [];
    const walk = (props: Record<string, { description?: string; properties?: object }>, at: string) => {
      for (const [key, sub] of Object.entries(props)) {
        if (typeof sub.description !== 'string' || sub.description === '') undescribed.push(`${at}/${key}`);
        if (sub.properties) walk(sub.properties as never, `${at}/${key}`);
      }
    };
    walk(schema.properties, '');
    assert.deepEqual(undescribed, []);
  });

  test('the committed precompiled validator is what Ajv makes of the schema now (else: npm run generate)', async () => {
    const generator = (await import(
      new URL('./manifest/generate-manifest-validator.js', import.meta.resolve('bulkhead')).href
    )) as typeof import('../../packages/host/src/manifest/generate-manifest-validator.js');
    const committed = readFileSync(generator.generatedManifestValidatorPath, 'utf8');
    assert.ok(
      committed === generator.generateManifestValidator(),
      `${generator.generatedManifestValidatorPath} is stale: run \`npm run generate\` and commit it`,
    );
  });

  test('an unreadable file is ERR_MANIFEST_INVALID naming it', async (t) => {
    const file = join(tempDir(t), 'nowhere', 'bulkhead-plugin.json');
    await assert.rejects(loadManifest(file), (e: unknown) => {
      assert.ok(isBulkheadError(e, 'ERR_MANIFEST_INVALID'));
      assert.equal(e.message, `${file}: cannot be read (ENOENT)`);
      assert.deepEqual(e.data, { file });
      return true;
    });
  });
});

test('JSON syntax errors give the same reason, line and column on every Node', () => {
  const cases: [string, string][] = [
    ['{\n  "a": 1,\n}', "Unexpected token '}' at line 3 column 1"],
    ['{"a": 1} x', "Unexpected token 'x' at line 1 column 10"],
    ['{"a": tru}', "Unexpected token '}' at line 1 column 10"],
    ["{'a': 1}", "Unexpected token ''' at line 1 column 2"],
    ['{"a" 1}', "Unexpected token '1' at line 1 column 6"],
    ['{"a": "x', 'Unexpected end of input at line 1 column 9'],
    ['{"a": "b\\q"}', 'Bad escaped character at line 1 column 10'],
    ['{"a": "\\u12x4"}', 'Bad Unicode escape at line 1 column 12'],
    ['{"a": "tab\there"}', 'Bad control character in string at line 1 column 11'],
    ['{"a": 01}', "Unexpected token '1' at line 1 column 8"],
    ['[1,]', "Unexpected token ']' at line 1 column 4"],
    ['{"a": \u0001}', "Unexpected token '\\u0001' at line 1 column 7"],
  ];
  for (const [text, expected] of cases) {
    let error: unknown;
    try {
      JSON.parse(text);
    } catch (e) {
      error = e;
    }
    assert.ok(error, `JSON.parse accepted ${text}`);
    assert.equal(jsonSyntaxError(text, error), expected, text);
  }
});

test('compareVersions orders by semver', () => {
  const sorted = [
    '1.10.0',
    '1.9.0',
    '2.0.0',
    '2.0.0-rc.1',
    '2.0.0-beta.11',
    '2.0.0-beta.2',
    'garbage',
    '1.2',
    'v1.2.1',
  ].sort(compareVersions);
  assert.deepEqual(sorted, [
    'garbage',
    '1.2',
    'v1.2.1',
    '1.9.0',
    '1.10.0',
    '2.0.0-beta.2',
    '2.0.0-beta.11',
    '2.0.0-rc.1',
    '2.0.0',
  ]);
  assert.equal(compareVersions('1.0.0+build.5', '1.0.0'), 0);
});
