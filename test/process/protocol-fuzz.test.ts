/**
 * The protocol fuzzing of test/protocol-fuzz.ts, small (`npm run fuzz` runs 100k cases): no crash,
 * only clear protocol errors, bounded memory, and a worker that answers after nonsense and exits
 * on garbage.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzControlLines, fuzzFrames, fuzzWorker, heapGrowthMiB } from '../protocol-fuzz.js';

test('random and mutated frames: every outcome a message or a clear protocol error; memory bounded', () => {
  const r = fuzzFrames(3000);
  assert.ok(r.frames > 0 && r.errors > 0, JSON.stringify(r));
  assert.ok(heapGrowthMiB(() => fuzzFrames(2000)) < 64, 'the decoder keeps nothing it was fed');
});

test('random and mutated control lines: a message or a clear protocol error, never anything else', () => {
  const r = fuzzControlLines(3000);
  assert.ok(r.lines > 0 && r.errors > 0, JSON.stringify(r));
});

test('a worker sent nonsense in valid frames still answers a ping; sent garbage, it exits', async () => {
  const r = await fuzzWorker(2, 60);
  assert.deepEqual(r, { messages: 120, exits: 2 });
});
