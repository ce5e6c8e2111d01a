import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Job } from 'bulkhead';
import { bytes, clientOf, type JobWatchEvent, rejectsWith } from '../control-helpers.js';
import { eventually } from '../helpers.js';

for (const mode of ['local', 'remote'] as const) {
  describe(`QueueClient conformance (${mode})`, () => {
    test('submit + watch: started, progress and log events, then the completed job with its result', async () => {
      await using env = await clientOf(mode);
      assert.equal(env.client.mode, mode);
      const slow = await env.client.submit('slow', { steps: 3, stepMs: 20 });
      const echo = await env.client.submit('echo', { x: 1, log: 'hello from echo' });
      const slowEvents: JobWatchEvent[] = [];
      const echoEvents: JobWatchEvent[] = [];
      const watching = [
        env.client.watch(slow, (e) => slowEvents.push(e)),
        env.client.watch(echo, (e) => echoEvents.push(e)),
      ];
      // The queue starts only once both watches are open, so no event can come before them.
      assert.ok(await eventually(() => env.local.activeWatches === 2));
      await env.queue.start();
      const [slowJob, echoJob] = (await Promise.all(watching)) as [Job, Job];
      assert.equal(slowJob.status, 'completed');
      assert.equal(slowJob.result, 'done');
      assert.deepEqual(slowEvents, [
        { type: 'started', attempt: 1 },
        { type: 'progress', fraction: 1 / 3, message: 'step 1' },
        { type: 'progress', fraction: 2 / 3, message: 'step 2' },
        { type: 'progress', fraction: 1, message: 'step 3' },
      ]);
      assert.equal(echoJob.status, 'completed');
      assert.deepEqual(echoJob.result, { echo: { x: 1, log: 'hello from echo' }, prefix: '>', repeat: 1 });
      assert.deepEqual(echoEvents[0], { type: 'started', attempt: 1 });
      const log = echoEvents.find((e) => e.type === 'log');
      assert.equal(log?.type === 'log' && log.entry.message, 'hello from echo');
      // A finished job is answered at once, with no events.
      const again: JobWatchEvent[] = [];
      assert.equal((await env.client.watch(slow, (e) => again.push(e))).status, 'completed');
      assert.deepEqual(again, []);
      assert.equal(env.local.activeWatches, 0);
    });

    test('cancel of a running job ends it cancelled, for the canceller and the watcher', async () => {
      await using env = await clientOf(mode);
      await env.queue.start();
      const id = await env.client.submit('slow', { steps: 1000, stepMs: 20 });
      let progressed!: () => void;
      const firstProgress = new Promise<void>((r) => {
        progressed = r;
      });
      const watched = env.client.watch(id, (e) => e.type === 'progress' && progressed());
      await firstProgress;
      const cancelled = await env.client.cancel(id);
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(cancelled.error?.code, 'ERR_CANCELLED');
      assert.equal((await watched).status, 'cancelled');
    });

    test('get, list and jobLogs; unknown ids and plugins fail with the same codes', async () => {
      await using env = await clientOf(mode);
      await env.queue.start();
      const id = await env.client.submit('echo', { log: 'line one' }, { priority: 3 });
      await env.client.watch(id, () => {});
      const job = await env.client.get(id);
      assert.equal(job.status, 'completed');
      assert.equal(job.priority, 3);
      assert.deepEqual(job.input, { log: 'line one' });
      assert.ok(job.timeline.some((e) => e.type === 'completed'));
      const page = await env.client.list({ plugin: 'echo', limit: 10 });
      assert.deepEqual(
        page.jobs.map((j) => j.id),
        [id],
      );
      assert.equal(page.next, null);
      assert.deepEqual((await env.client.list({ plugin: 'slow' })).jobs, []);
      const logs = await env.client.jobLogs(id);
      assert.ok(logs.some((l) => l.message === 'line one'));
      await rejectsWith(env.client.get('no-such-job'), 'ERR_JOB_NOT_FOUND');
      await rejectsWith(env.client.cancel('no-such-job'), 'ERR_JOB_NOT_FOUND');
      await rejectsWith(
        env.client.watch('no-such-job', () => {}),
        'ERR_JOB_NOT_FOUND',
      );
      const e = await rejectsWith(env.client.submit('nope', {}), 'ERR_UNKNOWN_PLUGIN');
      assert.deepEqual((e as { data: unknown }).data, { name: 'nope' });
      await rejectsWith(env.client.submit('echo', {}, { maxAttempts: 0 }), 'ERR_INVALID_ARGUMENT');
    });

    test('plugins, updateConfig (schema errors keep their code and issues), setEnabled, telemetry', async () => {
      await using env = await clientOf(mode);
      await env.queue.start();
      const names = (await env.client.plugins()).map((p) => p.name);
      assert.deepEqual(names, ['binary', 'echo', 'slow']);
      assert.deepEqual(await env.client.updateConfig('echo', { prefix: '#' }), { applied: 'stored' });
      const e = await rejectsWith(env.client.updateConfig('echo', { repeat: 0 }), 'ERR_CONFIG_INVALID');
      assert.equal((e as { data: { issues: { path: string }[] } }).data.issues[0]?.path, 'repeat');
      await rejectsWith(env.client.updateConfig('nope', {}), 'ERR_UNKNOWN_PLUGIN');
      const id = await env.client.submit('echo', { x: 2 });
      assert.equal(((await env.client.watch(id, () => {})).result as { prefix: string }).prefix, '#');
      await env.client.setEnabled('echo', false);
      assert.equal((await env.client.plugins()).find((p) => p.name === 'echo')?.enabled, false);
      await rejectsWith(env.client.submit('echo', {}), 'ERR_PLUGIN_DISABLED');
      await env.client.setEnabled('echo', true);
      assert.equal((await env.client.plugins()).find((p) => p.name === 'echo')?.enabled, true);
      const t = await env.client.telemetry('slow');
      assert.equal(t.name, 'slow');
      assert.equal(typeof t.calls, 'number');
    });

    test('binary inputs and results round-trip as Uint8Array (and typed arrays keep their type)', async () => {
      await using env = await clientOf(mode);
      await env.queue.start();
      const data = new Uint8Array([0, 1, 2, 127, 128, 255]);
      const id = await env.client.submit('binary', { op: 'identity', data });
      const job = await env.client.watch(id, () => {});
      assert.ok(job.result instanceof Uint8Array);
      assert.equal(bytes(job.result), bytes(data));
      const input = job.input as { data: Uint8Array };
      assert.ok(input.data instanceof Uint8Array);
      assert.equal(bytes(input.data), bytes(data));
      const floats = new Float32Array([1.5, -2]);
      const inv = await env.client.watch(
        await env.client.submit('binary', { op: 'invert', data, floats, $bytes: 'not bytes' }),
        () => {},
      );
      const result = inv.result as { inverted: Uint8Array; doubled: Float32Array };
      assert.equal(bytes(result.inverted), 'fffefd807f00');
      assert.ok(result.doubled instanceof Float32Array);
      assert.deepEqual([...result.doubled], [3, -4]);
      // A user object with the reserved key is escaped, not mistaken for bytes.
      assert.equal((inv.input as { $bytes: string }).$bytes, 'not bytes');
    });

    test('a watch ends on its signal (ERR_CANCELLED) without cancelling the job', async () => {
      await using env = await clientOf(mode);
      await env.queue.start();
      const id = await env.client.submit('slow', { steps: 1000, stepMs: 20 });
      const ac = new AbortController();
      const watched = env.client.watch(id, () => ac.abort(), ac.signal);
      await rejectsWith(watched, 'ERR_CANCELLED');
      assert.ok(await eventually(() => env.local.activeWatches === 0));
      assert.equal((await env.client.get(id)).status, 'running');
      assert.equal((await env.client.cancel(id)).status, 'cancelled');
    });

    test('close ends open watches with ERR_QUEUE_CLOSED and refuses later calls', async () => {
      await using env = await clientOf(mode);
      await env.queue.start();
      const id = await env.client.submit('slow', { steps: 1000, stepMs: 20 });
      const watched = env.client.watch(id, () => {});
      assert.ok(await eventually(() => env.local.activeWatches === 1));
      await env.client.close();
      await env.client.close(); // idempotent
      await rejectsWith(watched, 'ERR_QUEUE_CLOSED');
      await rejectsWith(env.client.get(id), 'ERR_QUEUE_CLOSED');
      assert.ok(await eventually(() => env.local.activeWatches === 0));
      await env.queue.cancel(id);
    });
  });
}
