import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers.js';

test('every test file is in a tier: test/unit/ (in-process) or test/process/ (real processes)', () => {
  // `npm test` runs the two folders; a test file left at test/ would silently never run.
  const stray = readdirSync(join(repoRoot, 'test')).filter((f) => f.endsWith('.test.ts'));
  assert.deepEqual(stray, [], 'move these into test/unit/ (no child processes) or test/process/');
});
