import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isBulkheadError, type Reservation, Scheduler, type SystemSnapshot } from 'bulkhead';
import { fakeMachine } from '../fake-machine.js';

/** 16 GB of RAM and the given GPUs (`[total, free]` MB), `over` replacing parts of the snapshot. */
const machine = (over: Partial<SystemSnapshot> = {}, gpus: [number, number][] = []) => fakeMachine(16_000, gpus, over);

describe('Scheduler', () => {
  test('reservations count: two jobs admitted at the same instant cannot oversubscribe a GPU', async () => {
    const s = new Scheduler(machine({}, [[81_000, 81_000]]), { policy: 'safety' });
    await s.fresh();
    const a = s.tryAcquire('a', { gpuMemoryMB: 50_000 });
    const b = s.tryAcquire('b', { gpuMemoryMB: 50_000 });
    assert.ok('id' in a);
    assert.ok(!('id' in b));
    assert.equal(b.resource, 'gpuMemoryMB');
    assert.equal(b.free, 31_000);
    s.release('a');
    assert.ok('id' in s.tryAcquire('b', { gpuMemoryMB: 50_000 }));
  });

  test('free = measured free minus reservations: other programs count, and so do jobs that have not allocated yet', async () => {
    const m = machine({ memory: { totalMB: 16_000, freeMB: 4000, availableMB: 4000 } });
    const s = new Scheduler(m, { policy: 'safety' });
    await s.fresh();
    assert.ok(!('id' in s.tryAcquire('x', { memoryMB: 5000 })), 'only 4000 MB measured free');
    assert.ok('id' in s.tryAcquire('y', { memoryMB: 3000 }));
    // y has not allocated yet: the measurement still says 4000 free, but only 1000 are not promised.
    const view = s.ledger.view();
    assert.equal(view.memory.reservedMB, 3000);
    assert.equal(view.memory.freeMB, 1000);
    assert.ok(!('id' in s.tryAcquire('z', { memoryMB: 2000 })));
  });

  test('best fit across GPUs and multi-GPU jobs', async () => {
    const s = new Scheduler(
      machine({}, [
        [81_000, 81_000],
        [24_000, 24_000],
        [40_000, 40_000],
      ]),
      { policy: 'safety' },
    );
    await s.fresh();
    const small = s.tryAcquire('small', { gpuMemoryMB: 20_000 }) as Reservation;
    assert.deepEqual(small.gpus, [1], 'the smallest GPU that fits');
    const two = s.tryAcquire('two', { gpuMemoryMB: 30_000, gpus: 2 }) as Reservation;
    assert.deepEqual(two.gpus.sort(), [0, 2]);
    const none = s.tryAcquire('none', { gpus: 4 });
    assert.ok(!('id' in none) && none.resource === 'gpus');
  });

  test('policies: safety refuses at once, queue waits for a release, and times out with the same error', async () => {
    const m = machine({}, [[10_000, 10_000]]);
    const safety = new Scheduler(m, { policy: 'safety' });
    await safety.acquire('a', { gpuMemoryMB: 8000 });
    await assert.rejects(safety.acquire('b', { gpuMemoryMB: 8000 }), (e) => {
      assert.ok(isBulkheadError(e, 'ERR_INSUFFICIENT_RESOURCES'));
      assert.deepEqual(e.data, { resource: 'gpuMemoryMB', needed: 8000, free: 2000, unit: 'MB' });
      assert.match(e.message, /largest free is 2000 MB on GPU 0/);
      return true;
    });
    const queue = new Scheduler(m, { policy: 'queue', refreshMs: 20 });
    await queue.acquire('a', { gpuMemoryMB: 8000 });
    const waiting = queue.acquire('b', { gpuMemoryMB: 8000 }, { timeoutMs: 5000 });
    queue.release('a'); // b is waiting already
    const r = await waiting;
    assert.equal(r.id, 'b');
    await assert.rejects(
      queue.acquire('c', { gpuMemoryMB: 8000 }, { timeoutMs: 60 }),
      (e) => isBulkheadError(e, 'ERR_INSUFFICIENT_RESOURCES') && /after waiting 60 ms/.test(e.message),
    );
    await assert.rejects(
      queue.acquire('d', { gpuMemoryMB: 20_000 }, { timeoutMs: 60_000 }),
      /largest GPU has 10000 MB/,
      'impossible work is refused at once, not after the timeout',
    );
    queue.close();
  });

  test('permissive admits anything but still accounts for it; makeRoom is asked before refusing', async () => {
    const m = machine({ memory: { totalMB: 1000, freeMB: 1000, availableMB: 1000 } });
    const p = new Scheduler(m, { policy: 'permissive' });
    await p.acquire('a', { memoryMB: 900 });
    await p.acquire('b', { memoryMB: 900 });
    assert.equal(p.ledger.view().memory.reservedMB, 1800);
    let asked = 0;
    const s = new Scheduler(m, {
      policy: 'safety',
      makeRoom: async () => {
        asked++;
        return false;
      },
    });
    await s.acquire('a', { memoryMB: 900 });
    await assert.rejects(s.acquire('b', { memoryMB: 900 }), { code: 'ERR_INSUFFICIENT_RESOURCES' });
    assert.equal(asked, 1);
  });
});
