/**
 * `bulkhead install` of Python plugins from plugins.yaml into real venvs, with real packages from
 * PyPI: uv when it is on the machine, python -m venv + pip otherwise. One home is installed once
 * (through the CLI, with uv) and shared by the tests that use it; the pip path installs one plugin.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isBulkheadError, PluginManager } from 'bulkhead';
import { installPlugins, readPluginsFile } from 'bulkhead/install';
import { type CliResult, cleanUp, cli } from '../cli-helpers.js';
import { repoRoot, sourceFixture, tempDir } from '../helpers.js';
import { tempHome } from '../manager-helpers.js';
import { pythonSkip, realPython } from '../python-helpers.js';

const DEMO = join(repoRoot, 'examples', 'python', 'demo.py');

/** uv: BULKHEAD_UV, or on PATH. */
function findUv(): string | undefined {
  if (process.env.BULKHEAD_UV) return process.env.BULKHEAD_UV;
  for (const dir of (process.env.PATH ?? '').split(delimiter))
    if (dir && existsSync(join(dir, 'uv'))) return join(dir, 'uv');
  return undefined;
}
const uv = findUv();
const uvSkip = pythonSkip || (uv === undefined ? 'uv is not on PATH (pip install uv)' : false);
if (uvSkip && !pythonSkip) console.log(`skipping the uv install tests: ${uvSkip}`);

/** A plugin that reports the version of the idna it imports (two majors, side by side). */
const idnaPlugin = (name: string) => `
import idna
from bulkhead_sdk import define_plugin

plugin = define_plugin(
    name="${name}",
    version="1.0.0",
    execute=lambda input, ctx: {"idna": idna.__version__, "encoded": idna.encode(input["host"]).decode()},
)
`;

function pluginsYaml(dir: string, entries: string[]): string {
  const file = join(dir, 'plugins.yaml');
  writeFileSync(file, ['version: 1', 'plugins:', ...entries].join('\n'));
  return file;
}

describe('bulkhead install: Python plugins into venvs made by uv (CLI)', { skip: uvSkip }, () => {
  const home = tempHome();
  const dir = tempDir('bulkhead-pyinstall-');
  let installed: CliResult;
  before(async () => {
    writeFileSync(join(dir, 'idna_old.py'), idnaPlugin('idna-old'));
    writeFileSync(join(dir, 'idna_new.py'), idnaPlugin('idna-new'));
    pluginsYaml(dir, [
      `  - { runtime: python, source: ${JSON.stringify(DEMO)} }`,
      '  - { runtime: python, source: ./idna_old.py, requirements: ["idna>=2.10,<3"] }',
      '  - { runtime: python, source: ./idna_new.py, requirements: ["idna>=3,<4"] }',
      `  - { runtime: python, source: ${JSON.stringify(sourceFixture('python', 'fails-at-import.py'))} }`,
    ]);
    installed = await cli(home, ['install', join(dir, 'plugins.yaml')], { timeoutMs: 600_000 });
  });
  after(cleanUp);

  test('each plugin gets its own venv and manifest; pip progress is shown; a failing one is reported with its traceback', () => {
    const out = installed.stdout + installed.stderr;
    assert.notEqual(installed.code, 0, 'one plugin failed');
    assert.match(out, /py-demo 1\.0\.0 installed/);
    assert.match(out, /idna-old 1\.0\.0 installed/);
    assert.match(out, /idna-new 1\.0\.0 installed/);
    assert.match(out, /(Resolved|Installed|Prepared) \d+ packages?/, 'uv/pip progress lines');
    assert.match(out, /fails-at-import\.py: .*did not start/);
    assert.match(out, /FileNotFoundError: cannot find model weights/);
    const manifest = JSON.parse(readFileSync(join(home, 'plugins', 'py-demo', 'bulkhead-plugin.json'), 'utf8'));
    assert.equal(manifest.runtime, 'python');
    assert.equal(manifest.python, 'venv/bin/python');
    assert.equal(manifest.entry, 'plugin/demo.py');
    assert.equal(manifest.configSchema.properties.times.maximum, 5);
    // The plugin's input_schema, reported by its worker at the first start, is in the manifest.
    assert.deepEqual(manifest.inputSchema.properties.count, { type: 'integer', minimum: 0 });
    const record = JSON.parse(readFileSync(join(home, 'plugins', 'py-demo', 'install.json'), 'utf8'));
    assert.equal(record.environment, 'uv');
    assert.match(record.runtime, /^python 3\./);
  });

  test('bulkhead run: a Python plugin from its venv, with a bad config refused naming the field', async () => {
    const r = await cli(home, ['run', 'py-demo', '-i', '{"op":"shout","text":"cli"}']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CLI!/);
    const bad = await cli(home, ['config', 'set', 'py-demo', 'times=9']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr + bad.stdout, /times/);
    const list = await cli(home, ['list']);
    assert.match(list.stdout, /py-demo/);
    assert.match(list.stdout, /idna-new/);
    const stream = await cli(home, ['run', 'py-demo', '--stream', '-i', '{"count":2}', '--json']);
    assert.equal(stream.code, 0, stream.stderr);
    assert.match(stream.stdout, /"square":1/);
    // Its input schema is checked at submit, as a Node plugin's is: the job never reaches the worker.
    const badInput = await cli(home, ['run', 'py-demo', '-i', '{"op":"fly","count":"two"}', '--json']);
    assert.equal(badInput.code, 1, badInput.stderr);
    const error = (JSON.parse(badInput.stderr) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'ERR_INPUT_INVALID');
    assert.match(error.message, /op/);
    assert.match(error.message, /count/);
  });

  test('two plugins with conflicting pip dependencies run side by side (idna 2 and idna 3)', async () => {
    await using m = new PluginManager({ home, liveness: { pingIntervalMs: 0 } });
    const [old, fresh] = await Promise.all([
      m.execute<{ idna: string; encoded: string }>('idna-old', { host: 'bücher.example' }),
      m.execute<{ idna: string; encoded: string }>('idna-new', { host: 'bücher.example' }),
    ]);
    assert.match(old.idna, /^2\./);
    assert.match(fresh.idna, /^3\./);
    assert.equal(old.encoded, 'xn--bcher-kva.example');
    assert.equal(fresh.encoded, 'xn--bcher-kva.example');
  });

  test('installing again skips what is unchanged', async () => {
    const again = await cli(home, ['install', join(dir, 'plugins.yaml')], { timeoutMs: 600_000 });
    assert.match(again.stdout + again.stderr, /py-demo 1\.0\.0 unchanged/);
    assert.match(again.stdout + again.stderr, /idna-new 1\.0\.0 unchanged/);
  });
});

describe('bulkhead install: Python plugins without uv (python -m venv + pip)', { skip: pythonSkip }, () => {
  test('a venv made by python -m venv, the plugin and the SDK installed by pip, started from it', async () => {
    const home = tempHome();
    const dir = tempDir('bulkhead-pypip-');
    const file = await readPluginsFile(pluginsYaml(dir, [`  - { runtime: python, source: ${JSON.stringify(DEMO)} }`]));
    const lines: string[] = [];
    const report = await installPlugins(file, {
      home,
      env: { ...process.env, BULKHEAD_UV: '0' },
      onEvent: (e) => {
        if (e.type === 'output') lines.push(e.line);
      },
    });
    const [only] = report.plugins;
    assert.equal(only?.status, 'installed', only?.status === 'failed' ? only.error.message : '');
    assert.ok(
      lines.some((l) => /^Successfully installed .*bulkhead-sdk/.test(l)),
      lines.slice(-5).join('\n'),
    );
    const record = JSON.parse(readFileSync(join(home, 'plugins', 'py-demo', 'install.json'), 'utf8'));
    assert.equal(record.environment, 'venv');
    await using m = new PluginManager({ home, liveness: { pingIntervalMs: 0 } });
    assert.equal(await m.execute('py-demo', { op: 'shout', text: 'pip' }), 'PIP!');
    const python = join(home, 'plugins', 'py-demo', 'venv', 'bin', 'python');
    const probe = spawnSync(python, ['-c', 'import bulkhead_sdk, sys; print(bulkhead_sdk.__file__, sys.prefix)'], {
      encoding: 'utf8',
    });
    assert.match(probe.stdout, new RegExp(`${join(home, 'plugins', 'py-demo', 'venv')}`), 'the SDK is the venv’s own');
  });
});

describe('bulkhead install: a conda entry', { skip: pythonSkip }, () => {
  test('the environment is made by mamba from the environment file, then the plugin and SDK go into it', async () => {
    // No conda on this machine: a stand-in mamba (on PATH, first) that makes the prefix it is
    // given as a venv and records how it was called. What is tested is Bulkhead's side: finding
    // the tool, its arguments, and installing into and running from the environment it made.
    const dir = tempDir('bulkhead-pyconda-');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'mamba'),
      [
        '#!/bin/sh',
        `echo "$@" > ${JSON.stringify(join(dir, 'mamba-args.txt'))}`,
        'while [ $# -gt 0 ]; do case "$1" in -p) prefix=$2; shift;; esac; shift; done',
        `exec ${JSON.stringify(realPython)} -m venv "$prefix"`,
      ].join('\n'),
    );
    chmodSync(join(bin, 'mamba'), 0o755);
    writeFileSync(join(dir, 'environment.yml'), 'name: demo\ndependencies: [python=3.11, pip]\n');
    const file = await readPluginsFile(
      pluginsYaml(dir, [`  - { runtime: python, source: ${JSON.stringify(DEMO)}, conda: ./environment.yml }`]),
    );
    const home = tempHome();
    const report = await installPlugins(file, { home, env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` } });
    const [only] = report.plugins;
    assert.equal(only?.status, 'installed', only?.status === 'failed' ? only.error.message : '');
    const args = readFileSync(join(dir, 'mamba-args.txt'), 'utf8').trim();
    assert.match(args, new RegExp(`^env create -p \\S+/env -f ${join(dir, 'environment.yml')}$`));
    const manifest = JSON.parse(readFileSync(join(home, 'plugins', 'py-demo', 'bulkhead-plugin.json'), 'utf8'));
    assert.equal(manifest.python, 'env/bin/python');
    const record = JSON.parse(readFileSync(join(home, 'plugins', 'py-demo', 'install.json'), 'utf8'));
    assert.equal(record.environment, 'conda');
    await using m = new PluginManager({ home, liveness: { pingIntervalMs: 0 } });
    assert.equal(await m.execute('py-demo', { op: 'shout', text: 'conda' }), 'CONDA!');
  });
});

describe('bulkhead install: Python entries that cannot be installed say why', { skip: pythonSkip }, () => {
  test('a Python version the machine lacks lists the interpreters found; conda without conda says so', async () => {
    const dir = tempDir('bulkhead-pybad-');
    const file = await readPluginsFile(
      pluginsYaml(dir, [
        `  - { runtime: python, source: ${JSON.stringify(DEMO)}, python: "3.99" }`,
        '  - { runtime: python, source: ./nothing-here.py }',
        `  - { runtime: python, source: ${JSON.stringify(join(repoRoot, 'examples', 'python', 'reference_style.py'))}, conda: ./environment.yml }`,
      ]),
    );
    const report = await installPlugins(file, { home: tempHome(), env: { ...process.env, PATH: '/usr/bin:/bin' } });
    const [version, missing, conda] = report.plugins;
    assert.equal(version?.status, 'failed');
    if (version?.status === 'failed') {
      assert.ok(isBulkheadError(version.error, 'ERR_INSTALL_FAILED'));
      assert.match(version.error.message, /Python 3\.99 is not on this machine; found: 3\.\d+\.\d+ \(/);
    }
    assert.equal(missing?.status, 'failed');
    if (missing?.status === 'failed') assert.match(missing.error.message, /no such file: .*nothing-here\.py/);
    assert.equal(conda?.status, 'failed');
    if (conda?.status === 'failed') {
      assert.match(conda.error.message, /conda environment .* none of mamba, micromamba or conda is on PATH/);
    }
  });
});
