/**
 * A manifest whose `name` is not what its plugin reports in the handshake is refused with
 * ERR_PLUGIN_NAME_MISMATCH naming both, and its worker is stopped (issue 13, duplicate names).
 * Real Node and Python workers.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError, PluginManager } from 'bulkhead';
import { fixture, sourceFixture, tempDir } from '../helpers.js';
import { tempHome } from '../manager-helpers.js';
import { pythonSkip, realPython } from '../python-helpers.js';

function plugins(entries: Record<string, object>): string {
  const into = tempDir('bulkhead-names-');
  for (const [name, fields] of Object.entries(entries)) {
    mkdirSync(join(into, name));
    const manifest = { manifestVersion: 1, name, version: '1.0.0', ...fields };
    writeFileSync(join(into, name, 'bulkhead-plugin.json'), JSON.stringify(manifest));
  }
  return into;
}

/** Pids of this process's children whose command line mentions `file` (Linux /proc). */
function childrenRunning(file: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        // ppid is the 2nd field after the command in parentheses.
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === process.pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(file);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const mismatch = (into: string, name: string, reported: string) => (e: unknown) => {
  assert.ok(isBulkheadError(e, 'ERR_PLUGIN_NAME_MISMATCH'), String(e));
  const manifest = join(into, name, 'bulkhead-plugin.json');
  assert.deepEqual(e.data, { name, reported, manifest });
  assert.equal(
    e.message,
    `plugin "${name}": its manifest ${manifest} says "${name}" but the plugin calls itself "${reported}"`,
  );
  return true;
};

describe('a manifest name the plugin does not report', () => {
  test('Node: loading is refused naming both, the worker is stopped, and a matching one beside it runs', async () => {
    const into = plugins({ hello: { entry: fixture('echo') }, echo: { entry: fixture('echo') } });
    await using m = new PluginManager({ pluginPaths: [into], home: tempHome(), liveness: { pingIntervalMs: 0 } });
    const spawned: number[] = [];
    m.on('loaded', (e) => spawned.push(e.pid));
    await assert.rejects(m.execute('hello', {}), mismatch(into, 'hello', 'echo'));
    assert.deepEqual(spawned, [], 'never reported loaded');
    assert.notEqual(m.get('hello')?.state, 'ready');
    assert.equal(m.get('hello')?.pid, null);
    assert.match(m.get('hello')?.lastError ?? '', /calls itself "echo"/);
    // The worker it spawned was stopped before the refusal: no child of this process runs echo.
    assert.deepEqual(childrenRunning(fixture('echo')), []);
    assert.deepEqual(await m.execute('echo', { x: 1 }), { echo: { x: 1 }, prefix: '>', repeat: 1 });
  });

  test('Python: the same', { skip: pythonSkip }, async () => {
    const into = plugins({
      'py-other': { runtime: 'python', python: realPython, entry: sourceFixture('python', 'noop.py') },
    });
    await using m = new PluginManager({ pluginPaths: [into], home: tempHome(), liveness: { pingIntervalMs: 0 } });
    await assert.rejects(m.load('py-other'), mismatch(into, 'py-other', 'noop'));
  });
});
