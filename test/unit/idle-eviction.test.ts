/**
 * Idle eviction on an injected clock, in-process: ManagedPlugin records read `lastUsed` on the
 * manager's `now`, and the Evictor's timer (node:test's mock timers) unloads those idle for longer
 * than `idleTimeoutMs` of that clock — never a busy one. No worker runs in this tier, so each
 * record is marked loaded by hand and "unloading" clears that mark, as PluginWorkers.stop does.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DiscoveredPlugin, PluginProcess } from 'bulkhead';

import { CircuitBreaker, DEFAULT_RESTART_POLICY, ManagedPlugin } from './manager-internals.js';

const at = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;
const { Evictor } = (await import(
  at('./manager/evictor.js')
)) as typeof import('../../packages/host/src/manager/evictor.js');

type Managed = InstanceType<typeof ManagedPlugin>;

/** A fake clock: epoch ms that only move when the test says so. */
function fakeClock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** One plugin's record on `now`, marked loaded (what candidate() asks of its worker). */
function loaded(name: string, now: () => number): Managed {
  const plugin = { manifest: { name, version: '1.0.0', entry: 'index.js' } } as unknown as DiscoveredPlugin;
  const m = new ManagedPlugin(plugin, new CircuitBreaker(DEFAULT_RESTART_POLICY), 'ready', () => {}, now);
  m.proc = {} as PluginProcess;
  m.loadedAt = now();
  return m;
}

/** A call on `m` that ends at once, on the record's clock. */
function use(m: Managed): void {
  m.begin();
  m.end(1, false);
}

function evictorOver(plugins: Managed[], now: () => number, idleTimeoutMs?: number) {
  const unloaded: string[] = [];
  const evictor = new Evictor(
    {
      candidates: () => plugins.flatMap((m) => m.candidate() ?? []),
      unload: async (name, reason) => {
        unloaded.push(`${name}:${reason}`);
        const m = plugins.find((p) => p.name === name) as Managed;
        m.proc = null;
      },
      now,
    },
    idleTimeoutMs,
  );
  return { evictor, unloaded };
}

describe('idle eviction on the manager clock', () => {
  test('the timer unloads a plugin once the clock passes idleTimeoutMs since its last use; a busy one stays', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const clock = fakeClock();
    const a = loaded('a', clock.now);
    const b = loaded('b', clock.now);
    const busy = loaded('busy', clock.now);
    use(a);
    clock.advance(30_000);
    use(b);
    busy.begin();
    // idleTimeoutMs 60 s: the timer checks every 10 s (half of it, at most 10 s).
    const { evictor, unloaded } = evictorOver([a, b, busy], clock.now, 60_000);
    t.after(() => evictor.close());
    /** Both clocks move together: the manager's and the timers'. */
    const step = () => {
      clock.advance(10_000);
      t.mock.timers.tick(10_000);
    };

    for (let i = 0; i < 3; i++) step(); // a idle 60 s: not longer than the timeout yet
    assert.deepEqual(unloaded, []);
    step(); // a idle 70 s
    assert.deepEqual(unloaded, ['a:idle']);
    step(); // b idle 50 s
    step(); // b idle 60 s
    assert.deepEqual(unloaded, ['a:idle']);
    step(); // b idle 70 s
    assert.deepEqual(unloaded, ['a:idle', 'b:idle']);
    for (let i = 0; i < 100; i++) step(); // 1,000 s more: a call in flight is never evicted
    assert.deepEqual(unloaded, ['a:idle', 'b:idle']);

    busy.end(1, false); // its last use is now, on the fake clock
    for (let i = 0; i < 6; i++) step();
    assert.deepEqual(unloaded, ['a:idle', 'b:idle']);
    step();
    assert.deepEqual(unloaded, ['a:idle', 'b:idle', 'busy:idle']);
  });

  test('a plugin loaded but never called counts from its load; evictIdle by hand reads the same clock', async () => {
    const clock = fakeClock();
    const fresh = loaded('fresh', clock.now);
    const used = loaded('used', clock.now);
    clock.advance(4_000);
    use(used);
    const { evictor, unloaded } = evictorOver([fresh, used], clock.now); // no timeout: no timer
    clock.advance(1_000);
    assert.deepEqual(await evictor.idle(5_000), []); // fresh loaded exactly 5 s ago: not longer
    clock.advance(1);
    assert.deepEqual(await evictor.idle(5_000), ['fresh']);
    assert.deepEqual(await evictor.idle(), [], 'without idleTimeoutMs nothing is ever idle for too long');
    clock.advance(5_000);
    assert.deepEqual(await evictor.idle(5_000), ['used']);
    assert.deepEqual(unloaded, ['fresh:idle', 'used:idle']);
  });
});
