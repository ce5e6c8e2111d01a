import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers.js';
import { testServer } from '../server-helpers.js';

// The standard-library Python client (clients/python) against a real server: its own unittest
// suite, run with the machine's python3.
test('the Python client: submit, wait, stream progress, cancel, bytes results, error codes', async () => {
  await using server = await testServer();
  const dir = join(repoRoot, 'clients', 'python');
  const child = spawn('python3', ['-m', 'unittest', '-v', 'tests.test_client'], {
    cwd: dir,
    env: { ...process.env, BULKHEAD_URL: server.urlWithToken, PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, out);
  assert.match(out, /Ran 6 tests/);
});
