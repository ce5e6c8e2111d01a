/**
 * Writing a plugin, as an author outside this repository does: `bulkhead new` (JavaScript and
 * TypeScript) scaffolds a package whose own `npm install` and `npm test` pass and which installs
 * and runs as generated; config schemas in zod 4, zod 3 or JSON Schema; entries resolved as Node
 * resolves CommonJS; a TypeScript plugin with no build step. Real npm installs into temp homes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isBulkheadError } from '@bulkhead/sdk';
import { PluginManager } from 'bulkhead';
import { cleanUp, cli, cliEnv, tempHome } from '../cli-helpers.js';
import { tempDir } from '../helpers.js';
import { pluginDir } from '../manager-helpers.js';

after(cleanUp);

/** This Node can run TypeScript as written (Node 22.13+, 24); else TypeScript plugins pin Node 24. */
const canStrip = typeof (nodeModule as { stripTypeScriptTypes?: unknown }).stripTypeScriptTypes === 'function';

function npm(cwd: string, args: string[], node24 = false) {
  // `npm test` of a TypeScript package needs a Node that strips types: node@24 from npm when this one cannot.
  const [cmd, argv] = node24 ? ['npx', ['-y', '-p', 'node@24', 'npm', ...args]] : ['npm', args];
  // Not this test runner's context: a nested `node --test` that sees it skips its files.
  const { NODE_TEST_CONTEXT: _ours, ...env } = cliEnv(tempHome());
  // npm's scripts run the `node` first on PATH: this test's own Node, whatever the machine's is.
  env.PATH = `${dirname(process.execPath)}${delimiter}${env.PATH ?? ''}`;
  const r = spawnSync(cmd, argv, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe('bulkhead new', () => {
  for (const ts of [false, true]) {
    test(`${ts ? 'TypeScript' : 'JavaScript'}: npm install, npm test, bulkhead install and run work as generated`, async () => {
      const where = tempDir('bulkhead-author-');
      const home = tempHome();
      const name = ts ? 'greeter-ts' : 'greeter';
      const made = await cli(home, ['new', name, ...(ts ? ['--ts'] : [])], { cwd: where });
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stdout, new RegExp(`created ${name}`));
      const dir = join(where, name);
      const install = npm(dir, ['install']);
      assert.equal(install.code, 0, install.out);
      const tested = npm(dir, ['test'], ts && !canStrip);
      assert.equal(tested.code, 0, tested.out);
      assert.match(tested.out, /pass 2/);

      const installed = await cli(home, ['install', join(dir, 'plugins.yaml')], { timeoutMs: 300_000 });
      assert.equal(installed.code, 0, installed.stderr);
      const run = await cli(home, ['run', name, '--input', '{"name": "Ada"}']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim(), 'Hello, Ada!');
      // The input schema: checked at submit, and in the manifest for UIs.
      const bad = await cli(home, ['run', name, '--input', '{"nom": "Ada"}', '--json']);
      assert.equal(bad.code, 1);
      assert.equal((JSON.parse(bad.stderr) as { error: { code: string } }).error.code, 'ERR_INPUT_INVALID');
      const info = JSON.parse((await cli(home, ['info', name, '--json'])).stdout) as {
        manifest: { inputSchema?: { properties?: object; required?: string[] } };
        plugin: { inputSchema: unknown };
      };
      assert.deepEqual(info.manifest.inputSchema?.required, ['name']);
      assert.deepEqual(info.plugin.inputSchema, info.manifest.inputSchema);
    });
  }

  test('a name that is not a plugin name, and a directory that is not empty, are refused', async () => {
    const where = tempDir('bulkhead-author-');
    const home = tempHome();
    const bad = await cli(home, ['new', 'Bad Name'], { cwd: where });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"Bad Name" is not a plugin name/);
    mkdirSync(join(where, 'taken'));
    writeFileSync(join(where, 'taken', 'keep.txt'), 'mine');
    const taken = await cli(home, ['new', 'taken'], { cwd: where });
    assert.equal(taken.code, 2);
    assert.match(taken.stderr, /exists and is not empty/);
  });
});

describe('schemas, entries, TypeScript', () => {
  const home = tempHome();
  const src = tempDir('bulkhead-plugin-src-');
  let installOut = '';

  /** A plugin package directory under `src`. */
  function pkg(dir: string, json: Record<string, unknown>, files: Record<string, string>): void {
    for (const [path, text] of Object.entries({ 'package.json': JSON.stringify(json), ...files })) {
      mkdirSync(join(src, dir, path, '..'), { recursive: true });
      writeFileSync(join(src, dir, path), text);
    }
  }
  const peer = { peerDependencies: { '@bulkhead/sdk': '*' } };

  before(async () => {
    pkg(
      'zod3',
      {
        name: 'zod3-plugin',
        version: '1.0.0',
        type: 'module',
        main: 'index.js',
        dependencies: { zod: '^3.23.0' },
        ...peer,
      },
      {
        'index.js': `import { definePlugin } from '@bulkhead/sdk';
import { z } from 'zod';
export default definePlugin({
  name: 'zod3-plugin', version: '1.0.0',
  config: z.object({ size: z.number().int().min(1).default(8), label: z.string().optional() }),
  input: z.object({ n: z.number() }),
  execute: (input, ctx) => ({ size: ctx.config.size, n: input.n, zod: '_zod' in z.string() ? 4 : 3 }),
});`,
      },
    );
    pkg(
      'jsonschema',
      { name: 'json-schema-plugin', version: '1.0.0', type: 'module', main: 'index.js', ...peer },
      {
        'index.js': `import { definePlugin } from '@bulkhead/sdk';
export default definePlugin({
  name: 'json-schema-plugin', version: '1.0.0',
  config: { type: 'object', properties: { mode: { enum: ['fast', 'exact'], default: 'fast' } }, additionalProperties: false },
  execute: (_input, ctx) => ctx.config.mode,
});`,
      },
    );
    pkg(
      'jsonschema-bad',
      { name: 'json-schema-bad', version: '1.0.0', type: 'module', main: 'index.js', ...peer },
      {
        'index.js': `import { definePlugin } from '@bulkhead/sdk';
export default definePlugin({
  name: 'json-schema-bad', version: '1.0.0',
  config: { type: 'object', properties: { mode: { enum: ['fast', 'exact'], default: 'fast' } } },
  execute: (_input, ctx) => ctx.config.mode,
});`,
      },
    );
    pkg(
      'cjs-index',
      { name: 'cjs-index', version: '1.0.0', main: 'index', ...peer },
      {
        'index.js': `const { definePlugin } = require('@bulkhead/sdk');
module.exports = definePlugin({ name: 'cjs-index', version: '1.0.0', execute: () => 'cjs main without extension' });`,
      },
    );
    pkg(
      'cjs-dir',
      { name: 'cjs-dir', version: '1.0.0', main: 'lib', ...peer },
      {
        'lib/index.js': `const { definePlugin } = require('@bulkhead/sdk');
module.exports = definePlugin({ name: 'cjs-dir', version: '1.0.0', execute: () => 'a directory with index.js' });`,
      },
    );
    pkg(
      'typescript',
      { name: 'ts-source', version: '1.0.0', type: 'module', main: 'src/index.ts', ...peer },
      {
        'src/index.ts': `import { definePlugin } from '@bulkhead/sdk';
import { twice } from './twice.js';
interface Input { n: number }
export default definePlugin({ name: 'ts-source', version: '1.0.0', execute: (input: Input): number => twice(input.n) });`,
        'src/twice.ts': 'export const twice = (n: number): number => n * 2;\n',
      },
    );
    pkg(
      'prepare',
      {
        name: 'prepare-plugin',
        version: '1.0.0',
        type: 'module',
        main: 'dist/index.js',
        scripts: { prepare: 'node build.mjs' },
        ...peer,
      },
      {
        // The author's own build: dist/ exists only once it has run.
        'build.mjs': `import { mkdirSync, writeFileSync } from 'node:fs';
mkdirSync('dist', { recursive: true });
writeFileSync('dist/index.js', "import { definePlugin } from '@bulkhead/sdk';\\nexport default definePlugin({ name: 'prepare-plugin', version: '1.0.0', execute: () => 'built by prepare' });\\n");`,
      },
    );
    pkg(
      'bad-schema',
      { name: 'bad-schema', version: '1.0.0', type: 'module', main: 'index.js', ...peer },
      {
        'index.js': `import { definePlugin } from '@bulkhead/sdk';
export default definePlugin({ name: 'bad-schema', version: '1.0.0', config: 'size: number', execute: () => 1 });`,
      },
    );
    const yaml = [
      'version: 1',
      'plugins:',
      // A JSON Schema plugin with a config default its schema refuses.
      '  - source: ./jsonschema-bad',
      '    config: { mode: slow }',
      ...['zod3', 'jsonschema', 'cjs-index', 'cjs-dir', 'prepare', 'bad-schema'].map((d) => `  - source: ./${d}`),
      '  - source: ./typescript',
      ...(canStrip ? [] : ['    node: 24']),
    ].join('\n');
    writeFileSync(join(src, 'plugins.yaml'), `${yaml}\n`);
    const r = await cli(home, ['install', join(src, 'plugins.yaml')], { timeoutMs: 600_000 });
    assert.equal(r.code, 1, r.stderr); // bad-schema fails; the others install
    installOut = r.stderr;
    assert.match(r.stdout, /6 installed, 0 unchanged, 2 failed/, r.stderr);
  });

  test('a zod 3 config schema: JSON Schema with defaults for the host, checked on set', async () => {
    const run = await cli(home, ['run', 'zod3-plugin', '--input', '{"n": 1}', '--json', '--result-only']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { size: 8, n: 1, zod: 3 });
    const info = JSON.parse((await cli(home, ['info', 'zod3-plugin', '--json'])).stdout) as {
      manifest: { configSchema: { properties: Record<string, unknown> }; inputSchema: unknown };
    };
    assert.deepEqual(info.manifest.configSchema.properties.size, { type: 'integer', minimum: 1, default: 8 });
    assert.deepEqual(info.manifest.inputSchema, {
      type: 'object',
      properties: { n: { type: 'number' } },
      required: ['n'],
    });
    const bad = await cli(home, ['config', 'set', 'zod3-plugin', 'size=0']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /size/);
    assert.equal((await cli(home, ['config', 'set', 'zod3-plugin', 'size=3'])).code, 0);
    const after = await cli(home, ['run', 'zod3-plugin', '--input', '{"n": 2}', '--json', '--result-only']);
    assert.deepEqual(JSON.parse(after.stdout), { size: 3, n: 2, zod: 3 });
    const badInput = await cli(home, ['run', 'zod3-plugin', '--input', '{"n": "two"}']);
    assert.equal(badInput.code, 1);
    assert.match(badInput.stderr, /input for plugin "zod3-plugin" is invalid: n: must be number/);
  });

  test('a plain JSON Schema config: defaults filled, a bad value refused (in plugins.yaml too)', async () => {
    assert.match(installOut, /its config in plugins\.yaml breaks its schema: mode: must be one of "fast", "exact"/);
    const run = await cli(home, ['run', 'json-schema-plugin']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'fast');
    const bad = await cli(home, ['config', 'set', 'json-schema-plugin', 'mode=slow']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /mode/);
    assert.equal((await cli(home, ['config', 'set', 'json-schema-plugin', 'mode=exact'])).code, 0);
    assert.equal((await cli(home, ['run', 'json-schema-plugin'])).stdout.trim(), 'exact');
  });

  test('a schema of no accepted kind: one error naming the plugin and what it accepts', () => {
    assert.match(
      installOut,
      /plugin "bad-schema": "config" must be a zod 4 or zod 3 schema \(e\.g\. z\.object\(\{ \.\.\. \}\)\) or a JSON Schema object .*; got string/,
    );
  });

  test('CommonJS entries as Node finds them: "main" without an extension, a directory with index.js', async () => {
    assert.equal((await cli(home, ['run', 'cjs-index'])).stdout.trim(), 'cjs main without extension');
    assert.equal((await cli(home, ['run', 'cjs-dir'])).stdout.trim(), 'a directory with index.js');
  });

  test("an author's own prepare script runs when the directory is installed", async () => {
    assert.equal((await cli(home, ['run', 'prepare-plugin'])).stdout.trim(), 'built by prepare');
  });

  test('a TypeScript plugin runs from its .ts source, importing ./twice.js (twice.ts)', async () => {
    const run = await cli(home, ['run', 'ts-source', '--input', '{"n": 21}']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), '42');
  });

  test('a TypeScript plugin on a worker Node that cannot strip types fails its install with the fix', async (t) => {
    if (canStrip) return t.skip('this Node strips types: the failure needs Node 20 or an older 22');
    const yaml = join(src, 'ts-unpinned.yaml');
    writeFileSync(yaml, 'version: 1\nplugins:\n  - source: ./typescript\n');
    const r = await cli(tempHome(), ['install', yaml], { timeoutMs: 300_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is TypeScript, which needs Node 22\.13\+ or 24 .*pin "node: 24"/);
  });
});

test('manager.execute of a plugin whose manifest is broken says which file and why', async () => {
  const plugins = pluginDir([{ name: 'echo', fixture: 'echo' }]);
  mkdirSync(join(plugins, 'thumbnail'));
  writeFileSync(join(plugins, 'thumbnail', 'bulkhead-plugin.json'), '{ "name": "thumbnail", ');
  await using manager = new PluginManager({ pluginPaths: [plugins], home: tempHome() });
  await assert.rejects(manager.execute('thumbnail', {}), (e: unknown) => {
    assert.ok(isBulkheadError(e, 'ERR_UNKNOWN_PLUGIN'));
    assert.match(
      e.message,
      /plugin "thumbnail" was not discovered: its manifest .*thumbnail\/bulkhead-plugin\.json is invalid: /,
    );
    return true;
  });
  await assert.rejects(manager.execute('nothing', {}), /no plugin named "nothing"/);
});
