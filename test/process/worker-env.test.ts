/**
 * Environment scrubbing: a worker inherits the minimal set (process/worker-env.ts) plus what its
 * manifest's `passEnv` names, never the rest of the host's environment (its secrets). Real
 * workers, Node and Python, through PluginProcess, the manager and the CLI (whose prelaunched
 * worker must get the same environment as the one it would spawn itself).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isBulkheadError, PluginManager, PluginProcess } from 'bulkhead';
import { cleanUp, cli, tempHome as cliHome } from '../cli-helpers.js';
import { fixture, fixtureAs, sourceFixture, tempDir } from '../helpers.js';
import { tempHome } from '../manager-helpers.js';
import { pythonSkip, realPython } from '../python-helpers.js';

const built = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;
const { inheritedWorkerEnv, BASE_WORKER_ENV } = (await import(
  built('./process/worker-env.js')
)) as typeof import('../../packages/host/src/process/worker-env.js');

const { parsePluginsFile } = (await import(
  built('./install/plugins-file.js')
)) as typeof import('../../packages/host/src/install/plugins-file.js');
const { discover } = (await import(
  built('./manifest/index.js')
)) as typeof import('../../packages/host/src/manifest/index.js');

const SECRET = 'AWS_SECRET_ACCESS_KEY';
const NAMES = [SECRET, 'BH_ALLOWED', 'BH_PREFIX_ONE', 'BH_NOT_ALLOWED', 'PATH', 'BH_EXPLICIT'];
// The host's own environment, as a real deployment's would hold it.
process.env[SECRET] = 'fake-secret-for-the-scrubbing-test';
process.env.BH_ALLOWED = 'allowed';
process.env.BH_PREFIX_ONE = 'by-prefix';
process.env.BH_NOT_ALLOWED = 'not-allowed';
after(() => {
  for (const n of [SECRET, 'BH_ALLOWED', 'BH_PREFIX_ONE', 'BH_NOT_ALLOWED']) delete process.env[n];
  cleanUp();
});

const PASS = ['BH_ALLOWED', 'BH_PREFIX_*'];
const expected = {
  [SECRET]: null,
  BH_ALLOWED: 'allowed',
  BH_PREFIX_ONE: 'by-prefix',
  BH_NOT_ALLOWED: null,
  PATH: process.env.PATH ?? null,
  BH_EXPLICIT: 'set',
};

/** A search path with the Node and the Python env-reader, both allowing PASS and setting BH_EXPLICIT. */
function plugins(): string {
  const into = tempDir('bulkhead-envplugins-');
  const write = (name: string, manifest: object) => {
    mkdirSync(join(into, name));
    const full = { manifestVersion: 1, name, version: '1.0.0', passEnv: PASS, envVars: { BH_EXPLICIT: 'set' } };
    writeFileSync(join(into, name, 'bulkhead-plugin.json'), JSON.stringify({ ...full, ...manifest }));
  };
  write('env-node', { entry: fixtureAs('env-node', 'env-reader') });
  write('env-reader', { runtime: 'python', python: realPython, entry: sourceFixture('python', 'env_reader.py') });
  return into;
}

describe('worker environment: the host secrets stay in the host', () => {
  test('the rule: the minimal set and passEnv (names and prefixes) pass, nothing else; "*" passes all', () => {
    const host = { PATH: '/bin', LC_ALL: 'C', CUDA_VISIBLE_DEVICES: '0', [SECRET]: 'x', OTHER: 'y', MINE_A: 'a' };
    assert.deepEqual(inheritedWorkerEnv(host), { PATH: '/bin', LC_ALL: 'C', CUDA_VISIBLE_DEVICES: '0' });
    assert.deepEqual(inheritedWorkerEnv(host, ['OTHER', 'MINE_*']), {
      PATH: '/bin',
      LC_ALL: 'C',
      CUDA_VISIBLE_DEVICES: '0',
      OTHER: 'y',
      MINE_A: 'a',
    });
    assert.deepEqual(inheritedWorkerEnv(host, ['*']), host);
    assert.ok(!BASE_WORKER_ENV.some((p) => SECRET.startsWith(p.replace(/\*$/, '')) && p.endsWith('*')));
  });

  test('PluginProcess: a Node worker does not see the secret; passEnv and env come through', async () => {
    await using bare = await PluginProcess.start({ plugin: fixture('env-reader') });
    const seen = (await bare.execute({ names: NAMES })) as Record<string, unknown>;
    assert.equal(seen[SECRET], null);
    assert.equal(seen.BH_ALLOWED, null);
    assert.equal(seen.PATH, process.env.PATH);
    await using allowed = await PluginProcess.start({
      plugin: fixture('env-reader'),
      passEnv: PASS,
      env: { BH_EXPLICIT: 'set' },
    });
    assert.deepEqual(await allowed.execute({ names: NAMES }), expected);
  });

  test('the manager: a Node plugin sees what its manifest allows, not the secret', async () => {
    await using m = new PluginManager({ pluginPaths: [plugins()], home: tempHome(), liveness: { pingIntervalMs: 0 } });
    assert.deepEqual(await m.execute('env-node', { names: NAMES }), expected);
  });

  test('the manager: a Python plugin sees what its manifest allows, not the secret', { skip: pythonSkip }, async () => {
    await using m = new PluginManager({ pluginPaths: [plugins()], home: tempHome(), liveness: { pingIntervalMs: 0 } });
    assert.deepEqual(await m.execute('env-reader', { names: NAMES }), expected);
  });

  test('the CLI: `run` (its prelaunched worker) gets the same scrubbed environment', async () => {
    const home = cliHome();
    const r = await cli(
      home,
      ['run', 'env-node', '--json', '--result-only', '--input', JSON.stringify({ names: NAMES })],
      {
        env: { BULKHEAD_PLUGIN_PATH: plugins() },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), expected);
    // The early worker was adopted: its spawn was worked out the same way as the manager's.
    assert.match(readFileSync(join(home, 'logs', 'env-node.log'), 'utf8'), /prelaunched/);
  });

  test('a passEnv entry that is not NAME or PREFIX* is refused, in a manifest and in plugins.yaml', async () => {
    const into = tempDir('bulkhead-envbad-');
    mkdirSync(join(into, 'bad'));
    const manifest = { manifestVersion: 1, name: 'bad', version: '1.0.0', entry: fixtureAs('bad', 'env-reader') };
    writeFileSync(join(into, 'bad', 'bulkhead-plugin.json'), JSON.stringify({ ...manifest, passEnv: ['*'] }));
    const found = await discover([into]);
    assert.deepEqual(found.plugins, []);
    assert.equal(found.errors.length, 1);
    assert.equal(found.errors[0]!.code, 'ERR_MANIFEST_INVALID');
    assert.match(`${found.errors[0]!.field} ${found.errors[0]!.message}`, /passEnv/);

    assert.throws(
      () => parsePluginsFile('version: 1\nplugins:\n  - source: ./a\n    passEnv: [OK, "no-dashes"]\n', 'plugins.yaml'),
      (e) => {
        assert.ok(isBulkheadError(e, 'ERR_PLUGINS_FILE_INVALID'), String(e));
        assert.match(e.message, /plugins\[0\]\.passEnv\[1\].*"no-dashes" is not a variable name: use NAME or PREFIX\*/);
        return true;
      },
    );
  });
});
