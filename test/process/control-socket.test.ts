import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { bytes, clientOf, control, host, type JobWatchEvent, PLUGINS, rejectsWith, wire } from '../control-helpers.js';
import { eventually, repoRoot } from '../helpers.js';
import { pluginDir, tempHome } from '../manager-helpers.js';

describe('control socket', () => {
  test('socket path: <home>/run/bulkhead.sock, or a hashed name in tmpdir for a long home', () => {
    assert.equal(control.controlSocketPath('/h'), '/h/run/bulkhead.sock');
    const long = `/${'x'.repeat(120)}`;
    const p = control.controlSocketPath(long);
    assert.match(p, /^.*\/bulkhead-[0-9a-f]{16}\.sock$/);
    assert.ok(p.startsWith(tmpdir()));
    assert.equal(control.controlSocketPath(long), p);
    assert.notEqual(control.controlSocketPath(`${long}y`), p);
  });

  test('the socket is 0600 in a 0700 directory, and close removes it', async () => {
    await using env = await clientOf('remote');
    const server = env.server as NonNullable<typeof env.server>;
    assert.equal(server.path, join(env.home, 'run', 'bulkhead.sock'));
    assert.equal(statSync(join(env.home, 'run')).mode & 0o777, 0o700);
    assert.equal(statSync(server.path).mode & 0o777, 0o600);
    assert.ok(statSync(server.path).isSocket());
    assert.equal(server.connections, 1);
    await env.client.close();
    await server.whenIdle();
    assert.equal(server.connections, 0);
    await server.close();
    assert.throws(() => statSync(server.path), { code: 'ENOENT' });
    assert.equal(await control.connectControl(env.home), null);
  });

  test('a home too long for sun_path is served from tmpdir, with the same modes', async () => {
    const home = join(tempHome(), 'a'.repeat(100));
    mkdirSync(home);
    await using h = await host(home);
    const server = await control.serveControl({ client: h.local, home });
    try {
      assert.ok(server.path.startsWith(tmpdir()));
      assert.equal(statSync(server.path).mode & 0o777, 0o600);
      const client = await control.connectControl(home);
      assert.ok(client);
      assert.equal(client.host.home, home);
      await client.close();
    } finally {
      await server.close();
    }
    assert.throws(() => statSync(server.path), { code: 'ENOENT' });
  });

  test('connectControl gives up with ERR_TIMEOUT on a socket that never answers hello', async () => {
    const home = tempHome();
    mkdirSync(join(home, 'run'), { mode: 0o700 });
    const mute = createServer(() => {});
    await new Promise<void>((r) => mute.listen(control.controlSocketPath(home), r));
    try {
      await rejectsWith(control.connectControl(home, { timeoutMs: 200 }), 'ERR_TIMEOUT');
    } finally {
      mute.close();
    }
  });

  test('connectControl returns null when nobody listens: no socket file, or a stale one', async () => {
    const home = tempHome();
    assert.equal(await control.connectControl(home), null);
    await staleSocket(home);
    assert.ok(statSync(control.controlSocketPath(home)).isSocket());
    assert.equal(await control.connectControl(home), null);
  });

  test('a stale socket file is replaced; a live one is refused', async () => {
    await using h = await host();
    await staleSocket(h.home);
    const server = await control.serveControl({ client: h.local, home: h.home });
    try {
      const e = await rejectsWith(control.serveControl({ client: h.local, home: h.home }), 'ERR_STORE_UNAVAILABLE');
      assert.equal((e as { data: { reason: string } }).data.reason, 'in-use');
      assert.match((e as Error).message, /another Bulkhead host/);
      // The first one still serves.
      const client = await control.connectControl(h.home);
      assert.ok(client);
      assert.equal(client.host.pid, process.pid);
      assert.equal(client.host.home, h.home);
      assert.deepEqual(
        (await client.plugins()).map((p) => p.name),
        ['binary', 'echo', 'slow'],
      );
      await client.close();
    } finally {
      await server.close();
    }
  });

  test('garbage gets an error answer and the connection goes on serving; so do other clients', async () => {
    await using env = await clientOf('remote');
    const server = env.server as NonNullable<typeof env.server>;
    const raw = await rawConnection(server.path);
    raw.send('this is not json');
    assert.deepEqual(pick(await raw.next()), { id: null, code: 'ERR_PROTOCOL' });
    raw.send('[1,2]');
    assert.deepEqual(pick(await raw.next()), { id: null, code: 'ERR_PROTOCOL' });
    raw.send('{"id":7,"method":"get","params":{"id":"x"},');
    assert.deepEqual(pick(await raw.next()), { id: 7, code: 'ERR_PROTOCOL' });
    raw.send({ id: 1, method: 'plugins' });
    assert.deepEqual(pick(await raw.next()), { id: 1, code: 'ERR_PROTOCOL' }); // hello first
    raw.send({ id: 2, method: 'hello', params: { version: 99 } });
    assert.deepEqual(pick(await raw.next()), { id: 2, code: 'ERR_PROTOCOL_VERSION' });
    raw.send({ id: 3, method: 'hello', params: { version: 1 } });
    assert.deepEqual(await raw.next(), { id: 3, result: { version: 1, pid: process.pid, home: env.home } });
    raw.send({ id: 4, method: 'frobnicate' });
    assert.deepEqual(pick(await raw.next()), { id: 4, code: 'ERR_METHOD_NOT_FOUND' });
    raw.send({ id: 5, method: 'get', params: { id: 5 } });
    assert.deepEqual(pick(await raw.next()), { id: 5, code: 'ERR_INVALID_ARGUMENT' });
    raw.send({ id: 6, method: 'get', params: 'nope' });
    assert.deepEqual(pick(await raw.next()), { id: 6, code: 'ERR_INVALID_ARGUMENT' });
    raw.send({ id: 8, method: 'setEnabled', params: { name: 'echo', enabled: 'yes' } });
    assert.deepEqual(pick(await raw.next()), { id: 8, code: 'ERR_INVALID_ARGUMENT' });
    raw.send({ id: 9, result: 1 });
    assert.deepEqual(pick(await raw.next()), { id: 9, code: 'ERR_PROTOCOL' });
    raw.send({ id: 10, method: 'plugins' });
    const answer = (await raw.next()) as { id: number; result: { name: string }[] };
    assert.equal(answer.id, 10);
    assert.equal(answer.result.length, 3);
    assert.equal((await env.client.plugins()).length, 3);
    assert.equal(server.connections, 2);
    raw.socket.destroy();
  });

  test('a line over the limit is refused and that connection closed; the server goes on', async () => {
    await using h = await host();
    const server = await control.serveControl({ client: h.local, home: h.home, maxLineBytes: 1024 });
    try {
      const raw = await rawConnection(server.path);
      raw.socket.write('x'.repeat(600));
      raw.socket.write('y'.repeat(600));
      assert.deepEqual(pick(await raw.next()), { id: null, code: 'ERR_FRAME_TOO_LARGE' });
      await raw.closed;
      const client = await control.connectControl(h.home, { maxLineBytes: 1024 });
      assert.ok(client);
      // Too large to send is refused before anything is sent, and the connection stays usable.
      await rejectsWith(client.submit('echo', { x: 'z'.repeat(2000) }), 'ERR_FRAME_TOO_LARGE');
      assert.equal((await client.plugins()).length, 3);
      await client.close();
      // A client allowing more than the host: the host hangs up, and the client says why.
      const generous = await control.connectControl(h.home);
      assert.ok(generous);
      const e = await rejectsWith(generous.submit('echo', { x: 'z'.repeat(2000) }), 'ERR_HOST_GONE');
      assert.match((e as Error).message, /limit of 1024 bytes/);
      await generous.close();
    } finally {
      await server.close();
    }
  });

  test('a client that disconnects mid-watch frees its watch; the job goes on', async () => {
    await using env = await clientOf('remote');
    const server = env.server as NonNullable<typeof env.server>;
    await env.queue.start();
    const id = await env.client.submit('slow', { steps: 1000, stepMs: 20 });
    const watched = env.client.watch(id, () => {});
    assert.ok(await eventually(() => server.activeWatches === 1 && env.local.activeWatches === 1));
    await env.client.close();
    await rejectsWith(watched, 'ERR_QUEUE_CLOSED');
    await rejectsWith(env.client.get(id), 'ERR_QUEUE_CLOSED');
    assert.ok(await eventually(() => server.activeWatches === 0 && env.local.activeWatches === 0));
    await server.whenIdle();
    assert.equal((await env.local.get(id)).status, 'running');
    await env.local.cancel(id);
  });

  test('wire values: bytes, typed arrays, escaped $bytes keys, nested; refuses what JSON cannot carry', () => {
    const value = {
      a: new Uint8Array([1, 2]),
      b: Buffer.from('hi'),
      c: [new Int16Array([-1, 2]), { $bytes: 'x', $object: 1 }],
      d: { nested: { deep: new ArrayBuffer(2) } },
      e: null,
      f: 'text',
    };
    const back = wire.fromWire(JSON.parse(JSON.stringify(wire.toWire(value)))) as typeof value;
    assert.equal(back.a.constructor, Uint8Array);
    assert.equal(bytes(back.a), '0102');
    assert.equal(back.b.constructor, Uint8Array);
    assert.equal(Buffer.from(back.b).toString(), 'hi');
    assert.deepEqual([...(back.c[0] as Int16Array)], [-1, 2]);
    assert.deepEqual({ ...(back.c[1] as object) }, { $bytes: 'x', $object: 1 });
    assert.ok(back.d.nested.deep instanceof ArrayBuffer);
    assert.equal(back.e, null);
    assert.equal(back.f, 'text');
    assert.throws(() => wire.toWire({ f: () => 1 }), { code: 'ERR_SERIALIZE' });
    assert.throws(() => wire.toWire({ m: new Map() }), { code: 'ERR_SERIALIZE' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => wire.toWire(cyclic), { code: 'ERR_SERIALIZE' });
  });

  test('lines: split across chunks, several per chunk, bounded', () => {
    const reader = new wire.LineReader(10);
    assert.deepEqual(reader.push(Buffer.from('ab')), []);
    assert.deepEqual(reader.push(Buffer.from('c\nde\n\nf')), ['abc', 'de', '']);
    assert.deepEqual(reader.push(Buffer.from('g\n')), ['fg']);
    assert.throws(() => reader.push(Buffer.from('0123456789A')), { code: 'ERR_FRAME_TOO_LARGE' });
    const euro = Buffer.from('€\n');
    const r2 = new wire.LineReader();
    assert.deepEqual(r2.push(euro.subarray(0, 1)), []);
    assert.deepEqual(r2.push(euro.subarray(1)), ['€']);
  });
});

describe('control socket with the host in another process', () => {
  test('a remote client submits and watches a job run by the host process', async () => {
    const h = await childHost();
    try {
      const client = await control.connectControl(h.home);
      assert.ok(client);
      assert.equal(client.host.pid, h.child.pid);
      const events: JobWatchEvent[] = [];
      const id = await client.submit('slow', { steps: 2, stepMs: 10 });
      const job = await client.watch(id, (e) => events.push(e));
      assert.equal(job.status, 'completed');
      assert.equal(job.result, 'done');
      assert.equal(events.at(-1)?.type, 'progress');
      await client.close();
    } finally {
      h.child.kill('SIGTERM');
      assert.equal(await h.exited, 0);
    }
    // A clean shutdown removes the socket: nobody to connect to.
    assert.equal(await control.connectControl(h.home), null);
  });

  test('the host is SIGKILLed while a client watches: the watch rejects ERR_HOST_GONE, nothing hangs', async () => {
    const h = await childHost();
    const client = await control.connectControl(h.home);
    assert.ok(client);
    const gone: unknown[] = [];
    client.on('disconnect', (e) => gone.push(e));
    const id = await client.submit('slow', { steps: 100_000, stepMs: 20 });
    let progressed!: () => void;
    const firstProgress = new Promise<void>((r) => {
      progressed = r;
    });
    const watched = client.watch(id, (e) => e.type === 'progress' && progressed());
    const pendingCall = firstProgress.then(() => client.telemetry('slow'));
    await firstProgress;
    h.child.kill('SIGKILL');
    const e = (await rejectsWith(watched, 'ERR_HOST_GONE')) as { data: { socketPath: string } };
    assert.equal(e.data.socketPath, control.controlSocketPath(h.home));
    await pendingCall.catch(() => {}); // answered before the kill, or rejected with the same code
    await rejectsWith(client.get(id), 'ERR_HOST_GONE');
    assert.equal(gone.length, 1);
    assert.equal(client.connected, false);
    assert.equal(await h.exited, null);
    // The socket file is left behind, stale: the next client finds nobody, the next host replaces it.
    assert.equal(await control.connectControl(h.home), null);
    await client.close();
    // The job is safe in the database: the next host recovers it (here, as interrupted, then cancels it).
    const next = await childHost(h.home, h.plugins);
    try {
      const again = await control.connectControl(h.home);
      assert.ok(again);
      const job = await again.get(id);
      assert.ok(job.timeline.some((ev) => ev.type === 'interrupted'));
      await again.close();
    } finally {
      next.child.kill('SIGTERM');
      await next.exited;
    }
  });
});

// ─── helpers ────────────────────────────────────────────────────────────────────────────────────

/** Leaves a socket file nobody listens on, as a host killed with SIGKILL does. */
async function staleSocket(home: string): Promise<void> {
  const path = control.controlSocketPath(home);
  mkdirSync(join(home, 'run'), { recursive: true, mode: 0o700 });
  const script = `require('net').createServer().listen(${JSON.stringify(path)}, () => process.stdout.write('up\\n'))`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout.once('data', r));
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Starts test/fixtures/control-host.ts on a home and waits for it to listen. */
async function childHost(home = tempHome(), plugins = pluginDir(PLUGINS)) {
  const script = join(repoRoot, 'build', 'test', 'fixtures', 'control-host.js');
  const child: ChildProcess = spawn(process.execPath, [script, plugins, home], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    });
    void exited.then((code) => reject(new Error(`control host exited with ${code} before ready`)));
  });
  return { home, plugins, child, exited };
}

/** A bare socket speaking the wire by hand. */
async function rawConnection(path: string) {
  const socket: Socket = connect(path);
  await new Promise((r) => socket.once('connect', r));
  const lines: unknown[] = [];
  const waiting: ((v: unknown) => void)[] = [];
  let buffer = '';
  socket.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      const msg = JSON.parse(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      const w = waiting.shift();
      if (w) w(msg);
      else lines.push(msg);
    }
  });
  const closed = new Promise((r) => socket.once('close', r));
  return {
    socket,
    closed,
    send(msg: unknown) {
      socket.write(`${typeof msg === 'string' ? msg : JSON.stringify(msg)}\n`);
    },
    next(): Promise<unknown> {
      if (lines.length > 0) return Promise.resolve(lines.shift());
      return new Promise((r) => waiting.push(r));
    },
  };
}

function pick(msg: unknown): { id: unknown; code: unknown } {
  const m = msg as { id: unknown; error?: { code: unknown } };
  return { id: m.id, code: m.error?.code };
}
