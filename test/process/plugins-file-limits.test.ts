/**
 * `limits` and `permissions` set in plugins.yaml (not by the plugin): `bulkhead install` writes
 * them into the installed manifest, and the manager enforces them. A real install of a local
 * package, then real workers allocating memory and reading files.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isBulkheadError, PluginManager } from 'bulkhead';
import { cleanUp, cli, tempHome } from '../cli-helpers.js';

after(cleanUp);

type Answer = { allowed: boolean; code?: string };

/** A plugin package that reads a file, or grows its RSS outside the JS heap and then holds it. */
const PLUGIN = `import { readFileSync } from 'node:fs';
import { definePlugin } from '@bulkhead/sdk';

const held = [];
export default definePlugin({
  name: 'guarded',
  version: '1.0.0',
  async execute(input) {
    if (input.op === 'read') {
      try {
        readFileSync(input.path);
        return { allowed: true };
      } catch (e) {
        return { allowed: false, code: e.code };
      }
    }
    for (let i = 0; i < input.megabytes; i++) {
      held.push(Buffer.alloc(1024 * 1024, 1));
      if (i % 8 === 0) await new Promise((r) => setImmediate(r));
    }
    return new Promise(() => {});
  },
});
`;

test('a memory limit and a narrowed permission set only in plugins.yaml are written and enforced', async () => {
  const src = tempHome();
  const pkg = join(src, 'guarded');
  mkdirSync(pkg);
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'guarded', version: '1.0.0', type: 'module' }));
  writeFileSync(join(pkg, 'index.js'), PLUGIN);
  mkdirSync(join(src, 'allowed'));
  writeFileSync(join(src, 'allowed', 'data.txt'), 'yours');
  writeFileSync(join(src, 'secret.txt'), 'not yours');
  writeFileSync(
    join(src, 'plugins.yaml'),
    [
      'version: 1',
      'plugins:',
      '  - source: ./guarded',
      '    limits: { memoryMB: 150 }',
      // Relative to plugins.yaml, not to where the installed manifest ends up.
      '    permissions: { fsRead: [./allowed] }',
      '',
    ].join('\n'),
  );
  const home = tempHome();
  const r = await cli(home, ['install', join(src, 'plugins.yaml'), '--json'], { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);

  const manifest = JSON.parse(readFileSync(join(home, 'plugins', 'guarded', 'bulkhead-plugin.json'), 'utf8'));
  assert.deepEqual(manifest.limits, { memoryMB: 150 });
  assert.deepEqual(manifest.permissions, { fsRead: [join(src, 'allowed')] });

  await using m = new PluginManager({ home, liveness: { pingIntervalMs: 0 } });
  assert.deepEqual(await m.execute<Answer>('guarded', { op: 'read', path: join(src, 'allowed', 'data.txt') }), {
    allowed: true,
  });
  assert.deepEqual(await m.execute<Answer>('guarded', { op: 'read', path: join(src, 'secret.txt') }), {
    allowed: false,
    code: 'ERR_ACCESS_DENIED',
  });
  await assert.rejects(m.execute('guarded', { op: 'grow', megabytes: 600 }), (e) => {
    assert.ok(isBulkheadError(e, 'ERR_WORKER_OOM'), String(e));
    assert.equal(e.data.limitMB, 150);
    return true;
  });
});
