/**
 * Liveness on node:test's mock timers, in-process: an idle worker's unanswered ping reports it
 * unresponsive, but a ping sent while idle that times out after a call began does not (the busy
 * check judges a busy worker, so its calls fail ERR_WORKER_UNRESPONSIVE or not at all, never a
 * plain ERR_WORKER_EXITED from an idle ping's kill). No worker runs in this tier: the process is a
 * stand-in whose ping the test settles by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { DiscoveredPlugin, PluginProcess } from 'bulkhead';

import { CircuitBreaker, DEFAULT_RESTART_POLICY, ManagedPlugin } from './manager-internals.js';

const at = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;
const { startLiveness, stopLiveness } = (await import(
  at('./manager/liveness.js')
)) as typeof import('../../packages/host/src/manager/liveness.js');

/** A loaded record and a stand-in worker whose pings stay open until the test times them out. */
function setup() {
  const plugin = { manifest: { name: 'p', version: '1.0.0', entry: 'index.js' } } as unknown as DiscoveredPlugin;
  const m = new ManagedPlugin(plugin, new CircuitBreaker(DEFAULT_RESTART_POLICY), 'ready', () => {});
  const pings: ((e: Error) => void)[] = [];
  const proc = {
    alive: true,
    pid: undefined,
    ping: () => new Promise<number>((_, reject) => pings.push(reject)),
  } as unknown as PluginProcess;
  m.proc = proc;
  const reasons: string[] = [];
  startLiveness(m, proc, { pingIntervalMs: 100, pingTimeoutMs: 50 }, (reason) => reasons.push(reason));
  const timeOut = async () => {
    (pings.shift() as (e: Error) => void)(new BulkheadError('ERR_TIMEOUT', 'no answer'));
    await new Promise((r) => setImmediate(r));
  };
  return { m, pings, reasons, timeOut };
}

test('an idle worker that does not answer its ping is unresponsive', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const { m, pings, reasons, timeOut } = setup();
  t.after(() => stopLiveness(m));
  t.mock.timers.tick(100);
  assert.equal(pings.length, 1);
  await timeOut();
  assert.deepEqual(reasons, ['no answer to a ping within 50 ms']);
});

test('a ping sent while idle that times out once a call has begun leaves the worker to the busy check', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const { m, pings, reasons, timeOut } = setup();
  t.after(() => stopLiveness(m));
  t.mock.timers.tick(100);
  assert.equal(pings.length, 1);
  m.begin(); // the call starts while that ping is out
  await timeOut();
  assert.deepEqual(reasons, []);
  assert.equal(m.state, 'busy');
});
