/**
 * Dispatch in-process: a JobQueue over a fake PluginRunner (no child processes) and a real SQLite
 * store, checking what runs next — per-plugin concurrency, priority order, admission by resources
 * (with backfill and the queue timeout on an injected clock) — and the retry rule.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import {
  BulkheadError,
  isBulkheadError,
  JobQueue,
  type JobQueueOptions,
  type PluginRunner,
  type ResourceNeeds,
  type SystemMonitor,
} from 'bulkhead';
import { fakeMachine } from '../fake-machine.js';
import { tempDir } from '../helpers.js';

interface FakePlugin {
  concurrency?: number;
  resources?: ResourceNeeds;
  enabled?: boolean;
}

interface Call {
  plugin: string;
  input: unknown;
  signal: AbortSignal | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A PluginRunner whose calls wait until the test settles them. */
class FakeRunner extends EventEmitter implements PluginRunner {
  readonly home = tempDir('bulkhead-dispatch-');
  readonly monitor: SystemMonitor;
  discovery: unknown = null;
  discoveries = 0;
  readonly evictions: { memoryMB?: number; gpuMemoryMB?: number }[] = [];
  /** Every call made, in order. */
  readonly calls: Call[] = [];
  readonly #plugins: Map<string, FakePlugin>;
  #taken = 0;
  #wake: (() => void) | null = null;

  constructor(plugins: Record<string, FakePlugin>, memoryMB = 16_000) {
    super();
    this.#plugins = new Map(Object.entries(plugins));
    this.monitor = fakeMachine(memoryMB);
  }

  async discover(): Promise<unknown> {
    this.discoveries++;
    this.discovery = {};
    return this.discovery;
  }

  get(name: string): { enabled: boolean } | undefined {
    const p = this.#plugins.get(name);
    return p && { enabled: p.enabled ?? true };
  }

  #known(name: string): FakePlugin {
    const p = this.#plugins.get(name);
    if (!p) throw new BulkheadError('ERR_UNKNOWN_PLUGIN', `no plugin named "${name}"`, { name });
    return p;
  }

  inputSchemaOf(name: string): Record<string, unknown> | null {
    this.#known(name);
    return null;
  }

  resourcesOf(name: string): ResourceNeeds {
    return { ...this.#known(name).resources };
  }

  concurrencyOf(name: string): number {
    return this.#known(name).concurrency ?? 1;
  }

  isLoaded(): boolean {
    return true;
  }

  async evictFor(shortfall: { memoryMB?: number; gpuMemoryMB?: number }): Promise<string[]> {
    this.evictions.push(shortfall);
    return [];
  }

  execute(plugin: string, input: unknown, options?: { signal?: AbortSignal }): Promise<unknown> {
    this.#known(plugin);
    return new Promise((resolve, reject) => {
      const signal = options?.signal;
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      this.calls.push({ plugin, input, signal, resolve, reject });
      this.#wake?.();
    });
  }

  /** The next call not yet taken, once it is made. */
  async take(): Promise<Call> {
    while (this.calls.length <= this.#taken) await new Promise<void>((r) => (this.#wake = r));
    return this.calls[this.#taken++] as Call;
  }
}

async function open(runner: FakeRunner, options: Partial<JobQueueOptions> = {}): Promise<JobQueue> {
  return JobQueue.open({ manager: runner, control: false, ...options });
}

describe('dispatch (in-process, fake PluginRunner)', () => {
  test('a plugin runs as many jobs at once as its concurrency; the next starts when a slot frees', async (t) => {
    const runner = new FakeRunner({ echo: { concurrency: 2 } });
    const queue = await open(runner);
    t.after(() => queue.stop({ timeoutMs: 0 }));
    await queue.start();
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await queue.submit('echo', { i }));
    const [first] = [await runner.take(), await runner.take()];
    // Both slots taken: the third waits, and says why.
    const why = await queue.explain(ids[2] as string);
    assert.equal(runner.calls.length, 2);
    assert.deepEqual(why.reasons[0], { kind: 'plugin-busy', plugin: 'echo', running: 2, concurrency: 2 });
    first?.resolve('done');
    const third = await runner.take();
    assert.deepEqual(third.input, { i: 2 });
    assert.equal((await queue.wait(ids[0] as string)).status, 'completed');
    assert.equal(runner.calls.length, 3);
  });

  test('jobs start by priority, then in the order they were submitted; a busy plugin does not hold up another', async (t) => {
    const runner = new FakeRunner({ one: {}, other: {} });
    const queue = await open(runner);
    t.after(() => queue.stop({ timeoutMs: 0 }));
    // Submitted before start(): all are pending when the first pass runs.
    await queue.submit('one', 'low', { priority: 0 });
    await queue.submit('one', 'high-1', { priority: 5 });
    await queue.submit('one', 'mid', { priority: 1 });
    await queue.submit('one', 'high-2', { priority: 5 });
    await queue.submit('other', 'other', { priority: -1 });
    await queue.start();
    const order: unknown[] = [];
    const first = await runner.take();
    // `one` is busy with its first job; `other`'s job, last in line, starts beside it.
    const second = await runner.take();
    assert.deepEqual([first.input, second.input], ['high-1', 'other']);
    order.push(first.input);
    first.resolve(null);
    for (let i = 0; i < 3; i++) {
      const call = await runner.take();
      order.push(call.input);
      call.resolve(null);
    }
    assert.deepEqual(order, ['high-1', 'high-2', 'mid', 'low']);
  });

  test('a job that does not fit waits while a smaller one behind it starts, and asks the runner to make room', async (t) => {
    const runner = new FakeRunner({ big: { concurrency: 4, resources: { memoryMB: 6000 } }, small: {} }, 8000);
    const queue = await open(runner);
    t.after(() => queue.stop({ timeoutMs: 0 }));
    await queue.start();
    await queue.submit('big', 'first');
    const hog = await runner.take();
    const waiting = await queue.submit('big', 'second');
    await queue.submit('small', 'small', { resources: { memoryMB: 1000 } });
    const small = await runner.take();
    assert.equal(small.input, 'small');
    const why = await queue.explain(waiting);
    assert.equal(why.status, 'pending');
    assert.ok(
      why.reasons.some((r) => r.kind === 'resources' && r.resource === 'memoryMB' && r.needed === 6000),
      JSON.stringify(why.reasons),
    );
    assert.deepEqual(runner.evictions, [{ memoryMB: 4000 }]);
    assert.ok((await queue.timeline(waiting)).some((e) => e.type === 'waiting-for-resources'));
    hog.resolve(null);
    assert.equal((await runner.take()).input, 'second');
  });

  test('policy queue: a job waiting past queueTimeoutMs (on the injected clock) fails with ERR_INSUFFICIENT_RESOURCES', async (t) => {
    let now = 1_000_000;
    const runner = new FakeRunner({ big: { concurrency: 2, resources: { memoryMB: 6000 } } }, 8000);
    const queue = await open(runner, { now: () => now, scheduler: { queueTimeoutMs: 60_000, refreshMs: 5 } });
    t.after(() => queue.stop({ timeoutMs: 0 }));
    await queue.start();
    await queue.submit('big', 'first');
    await runner.take();
    const id = await queue.submit('big', 'second');
    assert.equal((await queue.explain(id)).status, 'pending');
    now += 60_000;
    // The queue's re-check timer is unref'd (a real host is kept alive by its workers); nothing
    // else here holds the event loop open while the job waits for it.
    const alive = setInterval(() => {}, 1000);
    const job = await queue.wait(id).finally(() => clearInterval(alive));
    assert.equal(job.status, 'failed');
    assert.equal(job.error?.code, 'ERR_INSUFFICIENT_RESOURCES');
    assert.match(job.error?.message ?? '', /after waiting 60000 ms/);
    const waited = job.timeline.find((e) => e.type === 'waiting-for-resources');
    assert.equal(waited?.at, 1_000_000, 'recorded by the injected clock');
    assert.equal(runner.calls.length, 1, 'the job never ran');
  });

  test('policy safety: a job that no longer fits when its turn comes fails where it waits, without running', async (t) => {
    const runner = new FakeRunner({ big: { concurrency: 2, resources: { memoryMB: 6000 } } }, 8000);
    const queue = await open(runner, { scheduler: { policy: 'safety' } });
    t.after(() => queue.stop({ timeoutMs: 0 }));
    // Both fit when submitted (nothing runs yet); once the first holds its memory, the second cannot.
    await queue.submit('big', 'first');
    const second = await queue.submit('big', 'second');
    await queue.start();
    await runner.take();
    const job = await queue.wait(second);
    assert.equal(job.status, 'failed');
    assert.equal(job.error?.code, 'ERR_INSUFFICIENT_RESOURCES');
    assert.equal(job.attempts, 0);
    assert.equal(runner.calls.length, 1);
    // And one submitted now, that does not fit now, is refused at submit.
    await assert.rejects(queue.submit('big', 'third'), (e) => isBulkheadError(e, 'ERR_INSUFFICIENT_RESOURCES'));
  });

  test('the retry rule: a failed attempt is retried while attempts remain; an error a retry cannot fix is not', async (t) => {
    const runner = new FakeRunner({ flaky: { concurrency: 2 } });
    // The rule is under test here, not the delay: no backoff, so no timer that holds nothing (an
    // unreferenced wait ends the test's event loop on Node 22 before the retry is due).
    const queue = await open(runner, { retryBackoff: { initialMs: 0, maxMs: 0 } });
    t.after(() => queue.stop({ timeoutMs: 0 }));
    await queue.start();
    const retried = await queue.submit('flaky', 'a', { maxAttempts: 2 });
    (await runner.take()).reject(new BulkheadError('ERR_PLUGIN_FAILED', 'boom', {}));
    (await runner.take()).resolve('ok');
    const job = await queue.wait(retried);
    assert.equal(job.status, 'completed');
    assert.equal(job.attempts, 2);
    assert.deepEqual(
      job.timeline.filter((e) => e.type === 'started' || e.type === 'retrying').map((e) => [e.type, e.attempt]),
      [
        ['started', 1],
        ['retrying', 2],
        ['started', 2],
      ],
    );
    const refused = await queue.submit('flaky', 'b', { maxAttempts: 3 });
    (await runner.take()).reject(new BulkheadError('ERR_NOT_SUPPORTED', 'never works'));
    const failed = await queue.wait(refused);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.error?.code, 'ERR_NOT_SUPPORTED');
    assert.equal(runner.calls.length, 3);
  });

  test('cancelling a running job aborts the signal the runner was given', async (t) => {
    const runner = new FakeRunner({ slow: {} });
    const queue = await open(runner);
    t.after(() => queue.stop({ timeoutMs: 0 }));
    await queue.start();
    const id = await queue.submit('slow', null);
    const call = await runner.take();
    const job = await queue.cancel(id);
    assert.equal(call.signal?.aborted, true);
    assert.equal(job.status, 'cancelled');
    assert.equal(job.timeline.at(-1)?.detail, 'the plugin stopped on its signal');
  });

  test('an unknown plugin is looked for once more, then refused with ERR_UNKNOWN_PLUGIN; a disabled one with ERR_PLUGIN_DISABLED', async (t) => {
    const runner = new FakeRunner({ off: { enabled: false } });
    const queue = await open(runner);
    t.after(() => queue.stop({ timeoutMs: 0 }));
    const before = runner.discoveries;
    await assert.rejects(queue.submit('nope', 1), (e) => isBulkheadError(e, 'ERR_UNKNOWN_PLUGIN'));
    assert.equal(runner.discoveries, before + 1);
    await assert.rejects(queue.submit('off', 1), (e) => isBulkheadError(e, 'ERR_PLUGIN_DISABLED'));
    assert.equal((await queue.list()).jobs.length, 0, 'nothing stored');
  });

  test('serving the control socket needs a PluginManager: another runner gets ERR_INVALID_ARGUMENT at start', async (t) => {
    const runner = new FakeRunner({ echo: {} });
    const queue = await JobQueue.open({ manager: runner });
    t.after(() => queue.stop({ timeoutMs: 0 }));
    await assert.rejects(
      queue.start(),
      (e) => isBulkheadError(e, 'ERR_INVALID_ARGUMENT') && /PluginManager/.test(e.message),
    );
  });
});
