import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers.js';
import { entryPoints, exportedNames, unexportedTypes } from '../public-api.js';

// The export surface of every entry point of both packages, values and types apart. A change to it
// is a change to the public API: make it on purpose, then run with UPDATE_API_SURFACE=1 to record it.
const snapshotFile = join(repoRoot, 'test', 'fixtures', 'api-surface.json');

async function surface(): Promise<Record<string, { values: string[]; types: string[] }>> {
  const out: Record<string, { values: string[]; types: string[] }> = {};
  for (const [spec, dts] of entryPoints()) {
    if (spec.endsWith('/worker')) {
      // The worker entry is a process entry (it reads fd 3 when imported), not a library to import.
      out[spec] = { values: [], types: exportedNames(dts) };
      continue;
    }
    const values = Object.keys(await import(spec)).sort();
    out[spec] = { values, types: exportedNames(dts).filter((n) => !values.includes(n)) };
  }
  return out;
}

test('the export surface of every entry point is the recorded one (values and types)', async () => {
  const now = await surface();
  if (process.env.UPDATE_API_SURFACE === '1') writeFileSync(snapshotFile, `${JSON.stringify(now, null, 2)}\n`);
  const recorded = JSON.parse(readFileSync(snapshotFile, 'utf8'));
  assert.deepEqual(now, recorded, 'the public API changed: if on purpose, rerun with UPDATE_API_SURFACE=1');
});

test('every type that a public declaration mentions is exported by some entry point', () => {
  assert.deepEqual(unexportedTypes(), []);
});

test('the SDK root is what a plugin author needs: no wire helpers (those are @bulkhead/sdk/protocol)', async () => {
  const root = Object.keys(await import('@bulkhead/sdk'));
  for (const wire of ['errorFromWire', 'isWireError', 'PROTOCOL_VERSION', 'preparePayload', 'Channel']) {
    assert.ok(!root.includes(wire), wire);
  }
  const protocol = Object.keys(await import('@bulkhead/sdk/protocol'));
  for (const wire of ['errorFromWire', 'isWireError', 'PROTOCOL_VERSION']) assert.ok(protocol.includes(wire), wire);
});
