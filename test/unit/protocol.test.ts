import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { isBulkheadError } from '@bulkhead/sdk';
import {
  assertCompatible,
  Channel,
  decodeBody,
  encodeFrame,
  FrameDecoder,
  type Message,
  PROTOCOL_VERSION,
} from '@bulkhead/sdk/protocol';

const MAX = 1 << 20;

function roundTrip(message: Message): Message {
  const frame = Buffer.concat(encodeFrame(message, MAX));
  const out: Message[] = [];
  new FrameDecoder(MAX, (body) => out.push(decodeBody(body))).push(frame);
  assert.equal(out.length, 1);
  return out[0] as Message;
}

describe('frame codec', () => {
  test('layout: u32 body length, u32 header length, JSON header', () => {
    const [head] = encodeFrame({ id: 1, method: 'ping', params: {} }, MAX);
    const json = '{"id":1,"method":"ping","params":{}}';
    assert.equal(head?.readUInt32BE(0), 4 + json.length);
    assert.equal(head?.readUInt32BE(4), json.length);
    assert.equal(head?.toString('utf8', 8), json);
  });

  test('JSON values survive, unicode included', () => {
    const msg = { id: 7, result: { s: 'héllo ✓ 🚀', n: [1, 2.5, -3], b: true, z: null, o: { deep: { er: 'x' } } } };
    assert.deepEqual(roundTrip(msg), msg);
  });

  test('binaries travel as attachments, not inside the JSON, and come back as the same types', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const floats = new Float64Array([Math.PI, -0.5]);
    const parts = encodeFrame(
      { id: 1, method: 'execute', params: { input: { bytes, nested: [{ floats }], buf: Buffer.from('hey') } } },
      MAX,
    );
    assert.equal(parts.length, 4, 'header + 3 attachments, written from the caller’s memory');
    const header = JSON.parse(parts[0]?.toString('utf8', 8) as string);
    assert.deepEqual(header.bin, [3, 16, 3]);
    assert.deepEqual(header.params.input.bytes, { $bin: 0 });
    assert.deepEqual(header.params.input.nested[0].floats, { $bin: 1, type: 'Float64Array' });
    const back = roundTrip({
      id: 1,
      method: 'execute',
      params: { input: { bytes, nested: [{ floats }], buf: Buffer.from('hey') } },
    }) as {
      params: { input: { bytes: Uint8Array; nested: { floats: Float64Array }[]; buf: Buffer } };
    };
    assert.deepEqual(back.params.input.bytes, bytes);
    assert.deepEqual(Array.from(back.params.input.nested[0]?.floats ?? []), [Math.PI, -0.5]);
    assert.ok(Buffer.isBuffer(back.params.input.buf));
    assert.equal(back.params.input.buf.toString(), 'hey');
  });

  test('a binary type the receiver does not know arrives as plain bytes', () => {
    const header = Buffer.from('{"id":1,"result":{"$bin":0,"type":"Float128Array"},"bin":[2]}');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(header.length);
    const msg = decodeBody(Buffer.concat([len, header, Buffer.from([7, 8])])) as { result: Uint8Array };
    assert.equal(msg.result.constructor, Uint8Array);
    assert.deepEqual(Array.from(msg.result), [7, 8]);
  });

  test('the input object is not modified by encoding', () => {
    const input = { a: new Uint8Array(2), list: [new Uint8Array(1)] };
    encodeFrame({ id: 1, method: 'execute', params: { input } }, MAX);
    assert.ok(input.a instanceof Uint8Array && input.list[0] instanceof Uint8Array);
  });

  test('frames split at every byte boundary, and many frames in one chunk, decode the same', () => {
    const msgs: Message[] = [
      { id: 1, method: 'execute', params: { input: { data: new Uint8Array(300).fill(9) } } },
      { method: '$/progress', params: { id: 1, fraction: 0.5 } },
      { id: 1, result: 'ok' },
    ];
    const wire = Buffer.concat(msgs.flatMap((m) => encodeFrame(m, MAX)));
    for (const step of [1, 2, 3, 7, 64, wire.length]) {
      const out: Message[] = [];
      const d = new FrameDecoder(MAX, (b) => out.push(decodeBody(b)));
      for (let i = 0; i < wire.length; i += step) d.push(wire.subarray(i, i + step));
      assert.equal(out.length, 3, `step ${step}`);
      assert.deepEqual(
        (out[0] as { params: { input: { data: Uint8Array } } }).params.input.data,
        new Uint8Array(300).fill(9),
      );
      assert.deepEqual(out[2], { id: 1, result: 'ok' });
    }
  });

  test('a large frame split across chunks is assembled once', () => {
    const big = new Uint8Array(1 << 19).map((_, i) => i & 0xff);
    const wire = Buffer.concat(encodeFrame({ id: 2, result: big }, MAX));
    const out: Message[] = [];
    const d = new FrameDecoder(MAX, (b) => out.push(decodeBody(b)));
    for (let i = 0; i < wire.length; i += 65536) d.push(wire.subarray(i, i + 65536));
    assert.deepEqual((out[0] as { result: Uint8Array }).result, big);
  });

  test('an incoming length over the maximum is a protocol error before any body is read', () => {
    const d = new FrameDecoder(1024, () => assert.fail('no frame expected'));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(1025);
    assert.throws(
      () => d.push(len),
      (e) => isBulkheadError(e, 'ERR_PROTOCOL') && /1025/.test(e.message),
    );
  });

  test('an outgoing frame over the maximum is refused, naming sizes', () => {
    assert.throws(
      () => encodeFrame({ id: 1, result: new Uint8Array(2048) }, 1024),
      (e) => isBulkheadError(e, 'ERR_FRAME_TOO_LARGE') && e.data.maxFrameBytes === 1024 && e.data.bytes > 2048,
    );
  });

  test('malformed bodies are protocol errors', () => {
    const body = (header: string, extra = Buffer.alloc(0)) => {
      const h = Buffer.from(header);
      const b = Buffer.alloc(4);
      b.writeUInt32BE(h.length);
      return Buffer.concat([b, h, extra]);
    };
    const bad: [Buffer, RegExp][] = [
      [Buffer.from([0, 0]), /no header length/],
      [body('{nope'), /not valid JSON/],
      [body('[1,2]'), /not a JSON object/],
      [body('{"id":1,"result":1}', Buffer.from('xx')), /trailing bytes/],
      [body('{"id":1,"result":{"$bin":0},"bin":[5]}', Buffer.from('xx')), /do not match/],
      [body('{"id":1,"result":{"$bin":3},"bin":[2]}', Buffer.from('xx')), /attachment 3/],
      [body('{"result":1}'), /neither/],
      [body('{"id":1,"bin":"x"}'), /"bin" must be an array/],
    ];
    for (const [b, pattern] of bad) {
      assert.throws(
        () => decodeBody(b),
        (e) => isBulkheadError(e, 'ERR_PROTOCOL') && pattern.test(e.message),
        String(pattern),
      );
    }
  });
});

describe('Channel', () => {
  test('the first message of a tick is written at once, the rest coalesced (one write per 32), in order', async () => {
    // A loopback stream that, like a socket, takes corked writes as one writev.
    let writes = 0;
    const a: Duplex = new Duplex({
      read() {},
      writev(chunks, cb) {
        writes++;
        a.push(Buffer.concat(chunks.map((c) => c.chunk as Buffer)));
        cb();
      },
    });
    const got: Message[] = [];
    const fail = (e: unknown) => assert.fail(String(e));
    const receiver = new Channel(a, MAX, { onMessage: (m) => got.push(m), onProtocolError: fail, onClose: () => {} });
    const sender = receiver;
    for (let i = 0; i < 100; i++) sender.send({ method: 'n', params: { i } });
    await new Promise((r) => setImmediate(r));
    assert.equal(got.length, 100);
    assert.deepEqual(
      got.map((m) => (m as { params: { i: number } }).params.i),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.ok(writes >= 2 && writes <= 5, `${writes} writes for 100 messages`);
    assert.equal(receiver.closed, false);
  });

  test('garbage on the stream reports one protocol error and closes', async () => {
    const s = new PassThrough();
    const errors: unknown[] = [];
    let closes = 0;
    new Channel(s, MAX, {
      onMessage: (m) => assert.fail(JSON.stringify(m)),
      onProtocolError: (e) => errors.push(e),
      onClose: () => closes++,
    });
    s.write('GET / HTTP/1.1\r\n\r\n');
    await new Promise((r) => setImmediate(r));
    assert.equal(errors.length, 1);
    assert.ok(isBulkheadError(errors[0], 'ERR_PROTOCOL'));
    assert.equal(closes, 1);
  });
});

describe('versions', () => {
  test('same major is compatible, another major is refused naming both', () => {
    assertCompatible(PROTOCOL_VERSION, '1.7');
    assert.throws(
      () => assertCompatible('1.0', '2.0'),
      (e) => isBulkheadError(e, 'ERR_PROTOCOL_VERSION') && /1\.0/.test(e.message) && /2\.0/.test(e.message),
    );
    assert.throws(() => assertCompatible('1.0', 'banana'), { code: 'ERR_PROTOCOL_VERSION' });
  });
});
