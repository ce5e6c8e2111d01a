import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isBulkheadError } from 'bulkhead';
import { repoRoot } from '../helpers.js';
import {
  didYouMean,
  FULL,
  manifestSchemaPath,
  type PluginsFileEntry,
  parsePluginsFile,
  pluginsFileSchemaPath,
} from '../plugins-file-helpers.js';

describe('plugins.yaml: the published schema', () => {
  const schema = JSON.parse(readFileSync(pluginsFileSchemaPath, 'utf8'));
  const entry = schema.properties.plugins.items;

  test('is the file the package ships under schemas/, the one the parser reads', () => {
    assert.equal(pluginsFileSchemaPath, join(repoRoot, 'packages', 'host', 'schemas', 'plugins-file.schema.json'));
    assert.equal(
      fileURLToPath(import.meta.resolve('bulkhead/schemas/plugins-file.schema.json')),
      pluginsFileSchemaPath,
    );
  });

  test('is valid draft 2020-12 with its $id, closed at every level, and describes every field', async () => {
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.$id, 'urn:bulkhead:schema:plugins-file:1');
    const { default: ajvModule } = await import('ajv/dist/2020.js');
    const ajv = new ajvModule.default({ strict: true });
    assert.equal(ajv.validateSchema(schema), true, ajv.errorsText(ajv.errors));
    assert.equal(schema.additionalProperties, false);
    assert.equal(entry.additionalProperties, false);
    assert.equal(entry.properties.resources.additionalProperties, false);
    const undescribed: string[] = [];
    const walk = (props: Record<string, { description?: string; properties?: object }>, at: string) => {
      for (const [key, sub] of Object.entries(props)) {
        if (typeof sub.description !== 'string' || sub.description === '') undescribed.push(`${at}/${key}`);
        if (sub.properties) walk(sub.properties as never, `${at}/${key}`);
      }
    };
    walk(schema.properties, '');
    walk(entry.properties, '/plugins/items');
    assert.deepEqual(undescribed, []);
  });

  test('an entry has the fields of PluginsFileEntry, all of them used by the full example', () => {
    // A compile-time list: adding a field to PluginsFileEntry without listing it here fails tsc.
    const keys: Record<Exclude<keyof PluginsFileEntry, 'line' | 'index'>, true> = {
      source: true,
      name: true,
      node: true,
      env: true,
      passEnv: true,
      config: true,
      resources: true,
      limits: true,
      permissions: true,
      concurrency: true,
      category: true,
      runtime: true,
      python: true,
      requirements: true,
      entry: true,
      conda: true,
    };
    assert.deepEqual(Object.keys(entry.properties).sort(), Object.keys(keys).sort());
    const first = parsePluginsFile(FULL, 'plugins.yaml').plugins[0]!;
    // The full example is a Node plugin: the Python-only fields are tested below.
    const pythonOnly = ['runtime', 'python', 'requirements', 'entry', 'conda'];
    assert.deepEqual(
      Object.keys(first).sort(),
      [...Object.keys(keys).filter((k) => !pythonOnly.includes(k)), 'index', 'line'].sort(),
    );
  });

  test('Python entries: pip requirements, local paths, requirements; Python-only fields refused on Node entries', () => {
    const ok = parsePluginsFile(
      [
        'version: 1',
        'plugins:',
        '  - { runtime: python, source: "whisper-plugin[gpu]>=1.2,<2", python: "3.12" }',
        '  - { runtime: python, source: ./plugins/upper.py, requirements: [idna<3] }',
        '  - { runtime: python, source: ./plugins/asr, requirements: ./requirements.txt, entry: "asr.plugin:Asr" }',
        '  - { runtime: python, source: ./plugins/seg, conda: ./environment.yml }',
      ].join('\n'),
      'plugins.yaml',
    );
    assert.deepEqual(
      ok.plugins.map((p) => [p.runtime, p.python, p.requirements, p.entry, p.conda]),
      [
        ['python', '3.12', undefined, undefined, undefined],
        ['python', undefined, ['idna<3'], undefined, undefined],
        ['python', undefined, './requirements.txt', 'asr.plugin:Asr', undefined],
        ['python', undefined, undefined, undefined, './environment.yml'],
      ],
    );
    assert.throws(
      () =>
        parsePluginsFile(
          [
            'version: 1',
            'plugins:',
            '  - { source: ./a, python: "3.12", entry: x }',
            '  - { runtime: python, source: "not a requirement!", node: 22 }',
            '  - { runtime: python, source: ./b, python: "three" }',
            '  - { runtime: perl, source: ./c }',
            '  - { runtime: python, source: "idna<3" }',
            '  - { runtime: python, source: "IDNA>=3" }',
          ].join('\n'),
          'plugins.yaml',
        ),
      (e) => {
        assert.ok(isBulkheadError(e, 'ERR_PLUGINS_FILE_INVALID'));
        const m = e.message;
        assert.match(m, /plugins\[0\]\.python is for Python plugins: add "runtime: python"/);
        assert.match(m, /plugins\[0\]\.entry is for Python plugins/);
        assert.match(m, /plugins\[1\]\.source is not a pip requirement/);
        assert.match(m, /plugins\[1\]\.node is for Node plugins/);
        assert.match(m, /plugins\[2\]\.python /);
        assert.match(m, /plugins\[3\]\.runtime /);
        assert.match(m, /plugins\[5\]\.source installs the same package as plugins\[4\]/);
        return true;
      },
    );
  });

  test("resources and the name pattern are the manifest's, so one plugin means the same in both", () => {
    const manifest = JSON.parse(readFileSync(manifestSchemaPath, 'utf8'));
    const { description: _a, ...resources } = entry.properties.resources;
    const { description: _b, ...manifestResources } = manifest.properties.resources;
    assert.deepEqual(resources, manifestResources);
    assert.equal(entry.properties.name.pattern, manifest.properties.name.pattern);
  });
});

describe('did-you-mean aliases for plugins.yaml', () => {
  test('"dir" is the source in plugins.yaml and still the env directory in a manifest', () => {
    assert.equal(didYouMean('dir', ['source', 'name', 'node', 'env']), 'source');
    assert.equal(didYouMean('dir', ['name', 'entry', 'env', 'node']), 'env');
    for (const word of ['path', 'package', 'from', 'src', 'url'])
      assert.equal(didYouMean(word, ['source', 'env']), 'source');
  });
});
