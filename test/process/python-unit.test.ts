/**
 * The Python SDK's own unit tests (packages/python/tests, stdlib unittest), run from `npm test`:
 * one node:test test per unittest module, failing with unittest's output when any of its tests
 * fails, so node's summary lines (what CI reads) count them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ERROR_CODES } from '@bulkhead/sdk/errors';
import { repoRoot } from '../helpers.js';
import { pythonSkip, realPython } from '../python-helpers.js';

const PKG = join(repoRoot, 'packages', 'python');
const env = { ...process.env, PYTHONPATH: join(PKG, 'src'), PYTHONDONTWRITEBYTECODE: '1' };

describe('Python SDK unit tests (unittest)', { skip: pythonSkip }, () => {
  const modules = readdirSync(join(PKG, 'tests')).filter((f) => /^test_.*\.py$/.test(f));
  test('there are unittest modules to run', () => assert.ok(modules.length >= 3, modules.join(', ')));
  for (const file of modules) {
    const module = `tests.${file.replace(/\.py$/, '')}`;
    test(module, () => {
      const r = spawnSync(realPython, ['-m', 'unittest', '-v', module], {
        cwd: PKG,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      const out = `${r.stdout}${r.stderr}`;
      assert.equal(r.status, 0, out);
      assert.match(out, /^OK/m, out);
    });
  }

  test('the Python SDK knows exactly the error codes of the registry', () => {
    const r = spawnSync(
      realPython,
      ['-c', 'import json, bulkhead_sdk as b; print(json.dumps(sorted(b.ERROR_CODES)))'],
      {
        env,
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), Object.keys(ERROR_CODES).sort());
  });

  test('the package installs from the repository (pyproject.toml, py.typed shipped)', () => {
    const r = spawnSync(
      realPython,
      [
        '-c',
        'import tomllib,sys;d=tomllib.load(open(sys.argv[1],"rb"));print(d["project"]["name"],d["project"]["requires-python"])',
        join(PKG, 'pyproject.toml'),
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0 && /tomllib/.test(r.stderr)) return; // Python 3.10 has no tomllib; the install tests cover it
    assert.equal(r.stdout.trim(), 'bulkhead-sdk >=3.10');
    assert.ok(readdirSync(join(PKG, 'src', 'bulkhead_sdk')).includes('py.typed'));
  });
});
