/**
 * Manifest `permissions` applied to a Node worker with Node's permission model (a seat belt, not
 * a sandbox: process/node-permissions.ts). A real worker tries to read, write and spawn.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError, PluginManager } from 'bulkhead';
import { fixtureAs, tempDir } from '../helpers.js';
import { tempHome } from '../manager-helpers.js';

type Probe = { allowed: boolean; code?: string };

describe('permissions: Node workers under the permission model', () => {
  test('reads, writes and child processes only as declared; without permissions nothing changes', async () => {
    const into = tempDir('bulkhead-perms-');
    const secret = join(tempDir('bulkhead-outside-'), 'secret.txt');
    writeFileSync(secret, 'not yours');
    const data = join(into, 'data.txt');
    writeFileSync(data, 'yours');
    const out = tempDir('bulkhead-perm-out-');
    const write = (name: string, extra: object) => {
      mkdirSync(join(into, name));
      const manifest = {
        manifestVersion: 1,
        name,
        version: '1.0.0',
        entry: fixtureAs(name, 'permission-probe'),
        ...extra,
      };
      writeFileSync(join(into, name, 'bulkhead-plugin.json'), JSON.stringify(manifest));
    };
    // fsRead relative to the manifest's directory.
    write('held', { permissions: { fsRead: ['../data.txt'], fsWrite: [out] } });
    write('spawner', { permissions: { childProcess: true } });
    write('free', {});
    await using m = new PluginManager({ pluginPaths: [into], home: tempHome(), liveness: { pingIntervalMs: 0 } });
    const probe = (name: string, input: object) => m.execute<Probe>(name, input);

    assert.deepEqual(await probe('held', { op: 'read', path: data }), { allowed: true });
    assert.deepEqual(await probe('held', { op: 'read', path: secret }), { allowed: false, code: 'ERR_ACCESS_DENIED' });
    assert.deepEqual(await probe('held', { op: 'write', path: join(out, 'ok.txt') }), { allowed: true });
    assert.equal(readFileSync(join(out, 'ok.txt'), 'utf8'), 'x');
    assert.deepEqual(await probe('held', { op: 'write', path: join(into, 'no.txt') }), {
      allowed: false,
      code: 'ERR_ACCESS_DENIED',
    });
    assert.deepEqual(await probe('held', { op: 'spawn' }), { allowed: false, code: 'ERR_ACCESS_DENIED' });
    assert.deepEqual(await probe('spawner', { op: 'spawn' }), { allowed: true });
    // No permissions in the manifest: no permission model, as before.
    assert.deepEqual(await probe('free', { op: 'read', path: secret }), { allowed: true });
  });

  test('a permissions field of the wrong kind is refused with the manifest', async () => {
    const into = tempDir('bulkhead-perms-bad-');
    mkdirSync(join(into, 'bad'));
    const manifest = { manifestVersion: 1, name: 'bad', version: '1.0.0', entry: fixtureAs('bad', 'echo') };
    writeFileSync(
      join(into, 'bad', 'bulkhead-plugin.json'),
      JSON.stringify({ ...manifest, permissions: { network: true } }),
    );
    await using m = new PluginManager({ pluginPaths: [into], home: tempHome(), liveness: { pingIntervalMs: 0 } });
    await assert.rejects(m.execute('bad', {}), (e) => {
      assert.ok(isBulkheadError(e, 'ERR_UNKNOWN_PLUGIN'), String(e));
      assert.match((e as Error).message, /permissions.*network|network/);
      return true;
    });
  });
});
