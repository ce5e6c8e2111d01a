import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError } from 'bulkhead';
import { z } from 'zod';
import { sourceFixture } from '../helpers.js';

// manifest/ is not (yet) re-exported by the package's entry: load the built module beside it.
type Manifests = typeof import('../../packages/host/src/manifest/index.js');
type PluginManifest = import('../../packages/host/src/manifest/index.js').PluginManifest;
const {
  applyDefaults,
  compareVersions,
  discover,
  loadManifest,
  manifestSchemaPath,
  searchPaths,
  validateAgainstSchema,
} = (await import(new URL('./manifest/index.js', import.meta.resolve('bulkhead')).href)) as Manifests;

const { jsonSyntaxError } = (await import(
  new URL('./manifest/json-syntax-error.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../../packages/host/src/manifest/json-syntax-error.js');

/** A temp dir, removed when the test ends. */
function tempDir(t: { after: (fn: () => void) => void }, prefix = 'bulkhead-manifests-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Writes `<root>/<dir>/bulkhead-plugin.json` (an object is JSON-encoded, a string written as is)
 * and the files beside it (by default an `index.js` entry). Returns the manifest's path.
 */
function writePlugin(
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
function manifest(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { manifestVersion: 1, name, version: '1.0.0', entry: 'index.js', ...extra };
}

const names = (plugins: { manifest: { name: string } }[]) => plugins.map((p) => p.manifest.name);

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

describe('config validation', () => {
  const schema = {
    type: 'object',
    properties: {
      model: { type: 'string' },
      greeting: { type: 'string', default: 'Hello' },
      repeat: { type: 'integer', minimum: 1, default: 1 },
      mode: { enum: ['fast', 'accurate'], default: 'fast' },
      label: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      server: {
        type: 'object',
        default: {},
        properties: { host: { type: 'string', default: 'localhost' }, port: { type: 'integer', default: 8080 } },
        required: ['host'],
        additionalProperties: false,
      },
      proxy: { type: 'object', properties: { url: { type: 'string' }, retries: { type: 'integer', default: 3 } } },
    },
    required: ['model'],
    additionalProperties: false,
  };

  test('every failing field is listed, nested ones with a dotted path', () => {
    const value = {
      greeting: 1,
      repeat: 0,
      mode: 'slow',
      label: 3,
      server: { port: 'x', hots: 'example.com' },
      extra: true,
    };
    assert.deepEqual(validateAgainstSchema(schema, value), [
      { path: 'model', message: 'is required' },
      { path: 'extra', message: 'unknown field' },
      { path: 'greeting', message: 'must be string' },
      { path: 'repeat', message: 'must be >= 1' },
      { path: 'mode', message: 'must be one of "fast", "accurate"' },
      { path: 'label', message: 'must be string or null' },
      { path: 'server.host', message: 'is required' },
      { path: 'server.hots', message: 'unknown field (did you mean "host"?)' },
      { path: 'server.port', message: 'must be integer' },
    ]);
    assert.deepEqual(validateAgainstSchema(schema, { model: 'm', server: { host: 'h' } }), []);
    assert.deepEqual(validateAgainstSchema(schema, 'nope'), [{ path: '', message: 'must be object' }]);
  });

  test('applyDefaults fills top-level and nested defaults in a copy; an absent object without a default stays absent', () => {
    const value = { model: 'm', proxy: { url: 'http://p' } };
    const filled = applyDefaults(schema, value);
    assert.deepEqual(filled, {
      model: 'm',
      greeting: 'Hello',
      repeat: 1,
      mode: 'fast',
      server: { host: 'localhost', port: 8080 },
      proxy: { url: 'http://p', retries: 3 },
    });
    assert.deepEqual(value, { model: 'm', proxy: { url: 'http://p' } }, 'the input is not changed');
    assert.deepEqual(applyDefaults(schema, { server: { host: 'h' } }).server, { host: 'h', port: 8080 });
    assert.deepEqual(applyDefaults(schema), {
      greeting: 'Hello',
      repeat: 1,
      mode: 'fast',
      server: { host: 'localhost', port: 8080 },
    });
  });

  test('works with the schema zod writes for a plugin config (the handshake) and with draft-07 schemas', () => {
    const fromZod = z.toJSONSchema(
      z.object({
        prefix: z.string().default('>'),
        repeat: z.number().int().min(1).default(1),
        tags: z.array(z.string()).optional(),
      }),
      { io: 'input' },
    );
    assert.deepEqual(applyDefaults(fromZod, {}), { prefix: '>', repeat: 1 });
    assert.deepEqual(validateAgainstSchema(fromZod, { repeat: 0, tags: ['a', 2] }), [
      { path: 'repeat', message: 'must be >= 1' },
      { path: 'tags.1', message: 'must be string' },
    ]);
    const draft07 = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { size: { type: 'array', items: [{ type: 'number' }, { type: 'number' }] } },
    };
    assert.deepEqual(validateAgainstSchema(draft07, { size: [1, 'x'] }), [
      { path: 'size.1', message: 'must be number' },
    ]);
  });

  test('a schema that is not a JSON Schema is ERR_INVALID_ARGUMENT', () => {
    assert.throws(
      () => validateAgainstSchema({ type: 'nope' }, {}),
      (e: unknown) => isBulkheadError(e, 'ERR_INVALID_ARGUMENT'),
    );
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
