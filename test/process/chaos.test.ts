/**
 * `npm run chaos`, small: jobs through a real host while workers are killed and stopped, the host
 * is killed and replaced, logs flood and the disk fills up. Nothing may be lost, run beyond its attempts, orphaned,
 * and the host must never crash on its own.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { printReport, runChaos } from '../chaos.js';

test('chaos, small: 60 jobs, 8 faults: none lost, none run beyond policy, no orphans, no host crash', async () => {
  const r = await runChaos({ jobs: 60, faults: 8, seed: 13 });
  const shown = printReport(r);
  assert.equal(r.submitted, 60, shown);
  assert.equal(r.lost, 0, shown);
  assert.equal(r.runTwiceBeyondPolicy, 0, shown);
  assert.equal(r.orphans, 0, shown);
  assert.equal(r.hostCrashes, 0, shown);
  assert.equal(r.completed + r.failed, 60, shown);
  assert.equal(Object.values(r.faults).reduce((a, b) => a + b, 0) + r.faultsNotRun, 8, shown);
  // The filling disk, where a tmpfs can be mounted (root): filled once, and every outcome the host
  // held in memory meanwhile is in the store at the end.
  if (!r.disk.mode.startsWith('skipped')) {
    assert.equal(r.disk.full, 1, shown);
    assert.equal(r.faults['disk-full'], 1, shown);
    assert.equal(r.disk.heldWritten, r.disk.held, shown);
  }
});
