/**
 * The one protocol conformance suite (worker-conformance.ts), run against both worker runtimes:
 * the Node worker (@bulkhead/sdk) and the Python worker (packages/python, bulkhead_sdk).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture, repoRoot, sourceFixture } from '../helpers.js';
import { pythonSkip, realPython } from '../python-helpers.js';
import { conformanceSuite } from '../worker-conformance.js';
import { rawConformanceSuite } from '../worker-conformance-raw.js';

const host = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'host-runs.js');

conformanceSuite({
  name: 'node',
  options: { plugin: fixture('conformance') },
  failsAtImport: { plugin: fixture('throw-on-load') },
  importTrace: /cannot find model weights[\s\S]*throw-on-load/,
  skip: false,
  host,
});

conformanceSuite({
  name: 'python',
  options: { runtime: 'python', plugin: sourceFixture('python', 'conformance.py') },
  failsAtImport: { runtime: 'python', plugin: sourceFixture('python', 'fails-at-import.py') },
  importTrace: /FileNotFoundError: cannot find model weights[\s\S]*fails-at-import\.py", line \d+, in load_weights/,
  skip: pythonSkip,
  host,
});

rawConformanceSuite({
  name: 'node',
  command: [process.execPath, createRequire(import.meta.url).resolve('@bulkhead/sdk/worker'), fixture('conformance')],
  skip: false,
});

rawConformanceSuite({
  name: 'python',
  command: [realPython, '-m', 'bulkhead_sdk.worker', sourceFixture('python', 'conformance.py')],
  env: { PYTHONPATH: join(repoRoot, 'packages', 'python', 'src') },
  skip: pythonSkip,
});
