import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers.js';

test('every test file is in a tier: test/unit/ (in-process) or test/process/ (real processes)', () => {
  // `npm test` runs the two folders; a test file left at test/ would silently never run.
  const stray = readdirSync(join(repoRoot, 'test')).filter((f) => f.endsWith('.test.ts'));
  assert.deepEqual(stray, [], 'move these into test/unit/ (no child processes) or test/process/');
});

test('no hand-written source file of a package is over 400 lines (generated ones aside)', () => {
  // Past ~400 lines a module holds a second concept: find the seam and split it there (STYLE.md, 3).
  const long: string[] = [];
  for (const pkg of readdirSync(join(repoRoot, 'packages'))) {
    const src = join(repoRoot, 'packages', pkg, 'src');
    if (!existsSync(src)) continue;
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
      if (!/\.(ts|py)$/.test(file) || file.endsWith('.generated.ts')) continue;
      const path = `packages/${pkg}/src/${file}`;
      const lines = readFileSync(join(repoRoot, path), 'utf8').split('\n').length - 1;
      if (lines > 400) long.push(`${path} (${lines})`);
    }
  }
  assert.deepEqual(long, [], 'split these along a seam');
});
