import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError } from 'bulkhead';
import { sourceFixture } from '../helpers.js';
import { discover, loadManifest, manifest, names, searchPaths, tempDir, writePlugin } from '../manifest-helpers.js';

/** Broken manifests, each with the one message and field it must produce. */
const broken: {
  dir: string;
  content: object | string;
  files?: Record<string, string>;
  field?: string;
  message: string;
}[] = [
  {
    dir: 'not-json',
    content: '{\n  "manifestVersion": 1,\n  "name": "not-json",\n}\n',
    message: `not valid JSON (Unexpected token '}' at line 4 column 1)`,
  },
  { dir: 'empty', content: '', message: 'not valid JSON (the file is empty)' },
  { dir: 'array', content: '[]', message: 'must hold a JSON object (found array)' },
  {
    dir: 'missing-name',
    content: { manifestVersion: 1, version: '1.0.0', entry: 'index.js' },
    field: '/name',
    message: '/name is required',
  },
  {
    dir: 'wrong-type',
    content: manifest('wrong-type', { version: 2 }),
    field: '/version',
    message: '/version must be a string (found number)',
  },
  {
    dir: 'not-integer',
    content: manifest('not-integer', { concurrency: 1.5 }),
    field: '/concurrency',
    message: '/concurrency must be an integer (found number 1.5)',
  },
  {
    dir: 'unknown-field',
    content: { manifestVersion: 1, name: 'unknown-field', version: '1.0.0', entrypoint: 'index.js' },
    field: '/entrypoint',
    message: 'unknown field "entrypoint" (did you mean "entry"?)',
  },
  {
    dir: 'unknown-nested-field',
    content: manifest('unknown-nested-field', { resources: { gpuMemoryMb: 100 } }),
    field: '/resources/gpuMemoryMb',
    message: 'unknown field "gpuMemoryMb" in /resources (did you mean "gpuMemoryMB"?)',
  },
  {
    dir: 'unknown-field-no-guess',
    content: manifest('unknown-field-no-guess', { homepage: 'https://example.com' }),
    field: '/homepage',
    message: 'unknown field "homepage"',
  },
  {
    dir: 'future-version',
    content: { manifestVersion: 2, name: 'future-version', runtime: 'wasm' },
    field: '/manifestVersion',
    message: 'manifestVersion 2 is not supported (this Bulkhead reads 1)',
  },
  {
    dir: 'version-as-string',
    content: manifest('version-as-string', { manifestVersion: '1' }),
    field: '/manifestVersion',
    message: '/manifestVersion must be 1',
  },
  {
    dir: 'missing-entry',
    content: manifest('missing-entry', { entry: './dist/index.js' }),
    field: '/entry',
    message: 'entry file ./dist/index.js does not exist',
  },
  {
    dir: 'entry-is-a-dir',
    // A directory is an entry when Node would find a module in it (main, index.js); this has none.
    content: manifest('entry-is-a-dir', { entry: 'dist' }),
    files: { 'dist/notes.txt': '' },
    field: '/entry',
    message: 'entry dist is not a file',
  },
  {
    dir: 'missing-env',
    content: manifest('missing-env', { env: '../venvs/ocr' }),
    field: '/env',
    message: 'env directory ../venvs/ocr does not exist',
  },
  {
    dir: 'missing-node',
    content: manifest('missing-node', { node: 'runtime/bin/node' }),
    field: '/node',
    message: 'node binary runtime/bin/node does not exist',
  },
  {
    dir: 'negative-gpu',
    content: manifest('negative-gpu', { resources: { gpuMemoryMB: -1 } }),
    field: '/resources/gpuMemoryMB',
    message: '/resources/gpuMemoryMB must be >= 0',
  },
  {
    dir: 'bad-name',
    content: manifest('Bad Name'),
    field: '/name',
    message:
      '/name "Bad Name" is not a valid plugin name: use lowercase letters, digits and . _ - / @, starting with a letter, a digit or @',
  },
  {
    dir: 'several-problems',
    content: manifest('several-problems', { concurrency: 0, capabilities: { stream: 'yes' }, entry: '' }),
    field: '/entry',
    message:
      '/entry must not be empty; /capabilities/stream must be a boolean (found string); /concurrency must be >= 1',
  },
];

describe('discover', () => {
  test('broken manifests are each reported with their message and field; the good ones load beside them', async (t) => {
    const root = tempDir(t);
    for (const b of broken) writePlugin(root, b.dir, b.content, b.files);
    writePlugin(root, 'good-one', manifest('good-one'));
    writePlugin(root, 'good-two', manifest('good-two'));
    const found = await discover([root]);
    assert.deepEqual(names(found.plugins), ['good-one', 'good-two']);
    const expected = broken
      .map((b) => {
        const file = join(root, b.dir, 'bulkhead-plugin.json');
        const error: Record<string, string> = { file, message: `${file}: ${b.message}`, code: 'ERR_MANIFEST_INVALID' };
        if (b.field !== undefined) error.field = b.field;
        return error;
      })
      .sort((a, b) => (a.file! < b.file! ? -1 : 1));
    assert.deepEqual(found.errors, expected);

    // loadManifest throws the same, as a BulkheadError whose data names file and field.
    for (const e of expected) {
      await assert.rejects(loadManifest(e.file!), (err: unknown) => {
        assert.ok(isBulkheadError(err, 'ERR_MANIFEST_INVALID'));
        assert.equal(err.message, e.message);
        assert.deepEqual(err.data, e.field === undefined ? { file: e.file } : { file: e.file, field: e.field });
        return true;
      });
    }
  });

  test('duplicates: the first search path wins; within one path the higher version; losers are shadowed', async (t) => {
    const first = tempDir(t);
    const second = tempDir(t);
    // Across paths: the first path's 1.0.0 beats the second path's 9.0.0.
    const alphaDev = writePlugin(first, 'alpha', manifest('alpha', { version: '1.0.0' }));
    const alphaInstalled = writePlugin(second, 'alpha', manifest('alpha', { version: '9.0.0' }));
    // Within one path, by semver: numerically (1.10 > 1.9), and a release above its prerelease.
    const gamma9 = writePlugin(first, 'gamma-a', manifest('gamma', { version: '1.9.0' }));
    const gamma10 = writePlugin(first, 'gamma-b', manifest('gamma', { version: '1.10.0' }));
    const deltaRc = writePlugin(second, 'delta-a', manifest('delta', { version: '2.0.0-rc.1' }));
    const delta = writePlugin(second, 'delta-b', manifest('delta', { version: '2.0.0' }));
    // Equal versions: the first manifest path (directory name order) wins.
    const epsilonX = writePlugin(second, 'epsilon-x', manifest('epsilon'));
    const epsilonY = writePlugin(second, 'epsilon-y', manifest('epsilon'));
    // Only in the second path: found there.
    const beta = writePlugin(second, 'beta', manifest('beta'));

    const found = await discover([first, second]);
    assert.deepEqual(found.searchPaths, [first, second]);
    assert.deepEqual(names(found.plugins), ['alpha', 'beta', 'delta', 'epsilon', 'gamma']);
    assert.deepEqual(
      found.plugins.map((p) => [p.manifestPath, p.searchPath]),
      [
        [alphaDev, first],
        [beta, second],
        [delta, second],
        [epsilonX, second],
        [gamma10, first],
      ],
    );
    assert.deepEqual(found.shadowed, [
      { name: 'alpha', manifestPath: alphaInstalled, shadowedBy: alphaDev },
      { name: 'delta', manifestPath: deltaRc, shadowedBy: delta },
      { name: 'epsilon', manifestPath: epsilonY, shadowedBy: epsilonX },
      { name: 'gamma', manifestPath: gamma9, shadowedBy: gamma10 },
    ]);
    assert.deepEqual(found.errors, []);
  });

  test('byCategory groups plugins by category, "general" when none is given', async (t) => {
    const root = tempDir(t);
    writePlugin(root, 'ocr', manifest('ocr', { category: 'vision' }));
    writePlugin(root, 'detect', manifest('detect', { category: 'vision' }));
    writePlugin(root, 'hello', manifest('hello'));
    writePlugin(root, 'proto', manifest('proto', { category: '__proto__' }));
    const found = await discover([root]);
    assert.deepEqual(Object.keys(found.byCategory), ['__proto__', 'general', 'vision']);
    assert.deepEqual(names(found.byCategory.vision!), ['detect', 'ocr']);
    assert.deepEqual(names(found.byCategory.general!), ['hello']);
    const proto = '__proto__'; // a plain key, not the prototype
    assert.deepEqual(names(found.byCategory[proto]!), ['proto']);
    assert.equal(found.plugins.find((p) => p.manifest.name === 'hello')?.manifest.category, 'general');
  });

  test('missing search paths are skipped; a search path may be a plugin itself; dot-directories are ignored', async (t) => {
    const root = tempDir(t);
    const self = writePlugin(root, '', manifest('self'));
    writePlugin(root, 'child', manifest('child'));
    writePlugin(root, '.staging', manifest('half-installed'));
    writeFileSync(join(root, 'README.md'), 'not a plugin\n');
    mkdirSync(join(root, 'no-manifest-here'));
    const linked = tempDir(t);
    writePlugin(linked, 'target', manifest('linked'));
    symlinkSync(join(linked, 'target'), join(root, 'link'));

    const child = join(root, 'child');
    const found = await discover([join(root, 'does-not-exist'), root, child, join(root, 'README.md')]);
    assert.deepEqual(names(found.plugins), ['child', 'linked', 'self']);
    assert.equal(found.plugins.find((p) => p.manifest.name === 'self')?.manifestPath, self);
    assert.equal(found.plugins.find((p) => p.manifest.name === 'linked')?.dir, join(root, 'link'));
    // child/ is found from root first; as a search path of its own it adds nothing, and shadows nothing.
    assert.equal(found.plugins.find((p) => p.manifest.name === 'child')?.searchPath, root);
    assert.deepEqual(found.shadowed, []);
    assert.deepEqual(found.errors, []);
  });

  test('the checked-in fixtures: the full manifest loads, the one with a typo is reported', async () => {
    const root = sourceFixture('manifests');
    const found = await discover([root]);
    assert.deepEqual(names(found.plugins), ['@acme/ocr']);
    const file = join(root, 'typo', 'bulkhead-plugin.json');
    assert.deepEqual(found.errors, [
      {
        file,
        field: '/main',
        message: `${file}: unknown field "main" (did you mean "entry"?)`,
        code: 'ERR_MANIFEST_INVALID',
      },
    ]);
  });

  test('1,000 manifests in one directory are all discovered', async (t) => {
    const root = tempDir(t);
    for (let i = 0; i < 1000; i++) {
      writePlugin(root, `p${i}`, manifest(`plugin-${String(i).padStart(4, '0')}`, { category: `c${i % 7}` }));
    }
    const found = await discover([root]);
    assert.equal(found.plugins.length, 1000);
    assert.deepEqual(found.errors, []);
    assert.equal(found.plugins[0]?.manifest.name, 'plugin-0000');
    assert.equal(found.plugins[999]?.manifest.name, 'plugin-0999');
    assert.equal(Object.keys(found.byCategory).length, 7);
  });
});

describe('searchPaths', () => {
  test('the option first, then BULKHEAD_PLUGIN_PATH, then <home>/plugins; resolved and deduplicated', (t) => {
    const home = tempDir(t, 'bulkhead-home-');
    const env = {
      BULKHEAD_HOME: home,
      BULKHEAD_PLUGIN_PATH: ['/opt/a', '', 'rel/b', '/opt/dev', '/opt/a/'].join(delimiter),
    };
    assert.deepEqual(searchPaths(['/opt/dev', 'plugins', ''], env), [
      '/opt/dev',
      resolve('plugins'),
      '/opt/a',
      resolve('rel/b'),
      join(home, 'plugins'),
    ]);
    assert.deepEqual(searchPaths(undefined, { BULKHEAD_HOME: home }), [join(home, 'plugins')]);
  });

  test('reads process.env by default, and plugins installed under the home are discovered', async (t) => {
    const home = tempDir(t, 'bulkhead-home-');
    const saved = { home: process.env.BULKHEAD_HOME, path: process.env.BULKHEAD_PLUGIN_PATH };
    t.after(() => {
      for (const [key, value] of [
        ['BULKHEAD_HOME', saved.home],
        ['BULKHEAD_PLUGIN_PATH', saved.path],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });
    process.env.BULKHEAD_HOME = home;
    delete process.env.BULKHEAD_PLUGIN_PATH;
    writePlugin(join(home, 'plugins'), 'hello', manifest('hello'));
    assert.deepEqual(searchPaths(), [join(home, 'plugins')]);
    assert.deepEqual(names((await discover(searchPaths())).plugins), ['hello']);
  });
});
