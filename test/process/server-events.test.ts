import assert from 'node:assert/strict';
import { get } from 'node:http';
import { test } from 'node:test';
import { BulkheadClient, type ServerEvent } from 'bulkhead/client';
import type { BulkheadServer, DroppedClient } from 'bulkhead/server';
import { eventually } from '../helpers.js';
import { testServer } from '../server-helpers.js';

const clientOf = (s: BulkheadServer) => new BulkheadClient({ url: s.urlWithToken });

/** Reads events of `stream` until `stop` says so; returns them all. */
async function collect(stream: AsyncIterable<ServerEvent>, stop: (e: ServerEvent) => boolean): Promise<ServerEvent[]> {
  const out: ServerEvent[] = [];
  for await (const e of stream) {
    out.push(e);
    if (stop(e)) break;
  }
  return out;
}

/** The stream is attached on the server (so nothing submitted from now can be missed). */
async function attached(server: BulkheadServer, listeners: number): Promise<void> {
  assert.ok(await eventually(() => server.hub.listenerCount('event') === listeners, 60_000));
}

test("one stream: a job's state, progress and logs, and plugin state, in order, with increasing ids", async () => {
  await using server = await testServer();
  const bh = clientOf(server);
  const stop = new AbortController();
  const stream = bh.events({ signal: stop.signal });
  const reading = collect(stream, (e) => e.type === 'job' && e.data.status === 'completed');
  await attached(server, 1);
  const id = await bh.submit('slow', { steps: 3, stepMs: 5 });
  const events = await reading;
  stop.abort();
  const mine = events.filter((e) => (e.type === 'job' || e.type === 'progress') && e.data.id === id);
  assert.deepEqual(
    mine.map((e) => (e.type === 'job' ? e.data.status : `${e.type} ${(e.data as { message: string }).message}`)),
    ['pending', 'running', 'progress step 1', 'progress step 2', 'progress step 3', 'completed'],
  );
  assert.ok(events.some((e) => e.type === 'plugin' && e.data.name === 'slow' && e.data.state === 'ready'));
  for (let i = 1; i < events.length; i++) assert.ok((events[i] as ServerEvent).id > (events[i - 1] as ServerEvent).id);
});

test('Last-Event-ID: a client that reconnects gets exactly what it missed, in order', async () => {
  await using server = await testServer();
  const bh = clientOf(server);
  const first = new AbortController();
  const reading = collect(
    bh.events({ signal: first.signal }),
    (e) => e.type === 'job' && e.data.status === 'completed',
  );
  await attached(server, 1);
  await bh.submit('echo', { x: 1 });
  const seen = await reading;
  first.abort();
  await attached(server, 0);
  const lastId = (seen.at(-1) as ServerEvent).id;
  // Missed while away: a whole job.
  const missedJob = await bh.submit('slow', { steps: 2, stepMs: 1 });
  await server.client.watch(missedJob, () => {});
  const resumed = new AbortController();
  const again = await collect(
    bh.events({ lastEventId: lastId, signal: resumed.signal }),
    (e) => e.type === 'job' && e.data.id === missedJob && e.data.status === 'completed',
  );
  resumed.abort();
  assert.equal(again[0]?.id, lastId + 1);
  for (let i = 1; i < again.length; i++)
    assert.equal((again[i] as ServerEvent).id, (again[i - 1] as ServerEvent).id + 1);
  assert.deepEqual(
    again.filter((e) => e.type === 'job' && e.data.id === missedJob).map((e) => (e.data as { status: string }).status),
    ['pending', 'running', 'completed'],
  );
});

test('resuming from an id the ring no longer holds: a reset event says to read the state again', async () => {
  await using server = await testServer({ ringSize: 4 });
  for (let i = 0; i < 10; i++) server.hub.publish('plugin.log', { name: 'x', entry: { message: `m${i}` } });
  const bh = clientOf(server);
  const stop = new AbortController();
  const [first] = await collect(bh.events({ lastEventId: 1, signal: stop.signal }), () => true);
  stop.abort();
  assert.equal(first?.type, 'reset');
  // The ring keeps the newest 4: from 6 on, resume works.
  const ok = new AbortController();
  const [next] = await collect(bh.events({ lastEventId: 6, signal: ok.signal }), () => true);
  ok.abort();
  assert.equal(next?.id, 7);
});

test('a client that stops reading is dropped with ERR_SLOW_CLIENT once its buffer passes the limit; memory stays bounded', async () => {
  let dropped!: (d: DroppedClient) => void;
  const whenDropped = new Promise<DroppedClient>((r) => {
    dropped = r;
  });
  const limitBytes = 256 * 1024;
  await using server = await testServer({ sse: { limitBytes, onDrop: (d) => dropped(d) } });
  const url = new URL('/api/events', server.url);
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    get(url, { headers: { authorization: `Bearer ${server.token}` } }, resolve).on('error', reject);
  });
  res.pause(); // reads nothing from here on
  await attached(server, 1);
  const payload = 'x'.repeat(16 * 1024);
  let gone = false;
  void whenDropped.then(() => {
    gone = true;
  });
  // Kernel buffers take a few MB first; the loop is bounded so a bug fails rather than hangs.
  for (let i = 0; i < 20_000 && !gone; i++) {
    server.hub.publish('plugin.log', { name: 'flood', entry: { message: payload } });
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  const d = await whenDropped;
  assert.equal(d.limitBytes, limitBytes);
  assert.ok(d.bufferedBytes > limitBytes);
  assert.ok(d.bufferedBytes < limitBytes + 64 * 1024, `buffered ${d.bufferedBytes}`);
  assert.equal(server.hub.listenerCount('event'), 0);
  // Events after the drop are not buffered for it.
  for (let i = 0; i < 100; i++) server.hub.publish('plugin.log', { name: 'flood', entry: { message: payload } });
  // When it reads again, its stream ends with the reason.
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (c: string) => {
    body += c;
  });
  res.resume();
  await new Promise((r) => res.once('end', r));
  const last = body.trimEnd().split('\n\n').at(-1) as string;
  assert.match(last, /^event: error\ndata: \{"code":"ERR_SLOW_CLIENT"/);
});
