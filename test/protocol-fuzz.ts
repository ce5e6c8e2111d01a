/**
 * Protocol fuzzing with fast-check: random and mutated frames against the frame decoder, random
 * and mutated lines against the control wire, and random valid-framed messages plus raw garbage
 * against a real worker. The properties: nothing throws but a BulkheadError with a protocol code,
 * memory stays bounded, and a worker either answers or exits (never hangs, never takes the host
 * down). `npm run fuzz` runs it at 100k cases; test/protocol-fuzz.test.ts runs it small.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { isBulkheadError } from '@bulkhead/sdk/errors';
import { Channel, decodeBody, encodeFrame, FrameDecoder, type Message, PROTOCOL_VERSION } from '@bulkhead/sdk/protocol';
import fc from 'fast-check';
import { fixture } from './helpers.js';

const wire = (await import(
  new URL('./control/wire.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../packages/host/src/control/wire.js');

const MAX_FRAME = 64 * 1024;
/** Codes a peer's bad bytes may produce; anything else (a TypeError, a RangeError) is a bug. */
const CLEAR = new Set(['ERR_PROTOCOL', 'ERR_FRAME_TOO_LARGE', 'ERR_PROTOCOL_VERSION']);

function clearError(e: unknown): boolean {
  return isBulkheadError(e) && CLEAR.has(e.code) && e.message.length > 0;
}

/** Valid frames to mutate: requests, responses, notifications, with and without binaries. */
const validMessages: Message[] = [
  { id: 1, method: 'execute', params: { input: { text: 'hi', n: [1, 2, 3] } } },
  { id: 2, result: { ok: true, data: new Uint8Array([1, 2, 3, 4]) } },
  { id: 3, error: { code: 'ERR_PLUGIN_FAILED', message: 'boom', data: { stack: 'x' } } },
  { method: '$/progress', params: { id: 1, fraction: 0.5, message: 'half' } },
] as Message[];
const validFrames = validMessages.map((m) => Buffer.concat(encodeFrame(m, MAX_FRAME)));

const mutatedFrame = fc
  .tuple(
    fc.constantFrom(...validFrames),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
    fc.nat(),
  )
  .map(([frame, flips, cut]) => {
    const b = Buffer.from(frame);
    for (const [at, v] of flips) b[at % b.length] = v;
    return cut % 5 === 0 ? b.subarray(0, cut % b.length) : b;
  });
const randomBytes = fc.uint8Array({ maxLength: 512 }).map((u) => Buffer.from(u));
/** A stream: several pieces, split at random points, as a socket delivers them. */
const stream = fc.array(fc.oneof(mutatedFrame, randomBytes, fc.constantFrom(...validFrames)), {
  minLength: 1,
  maxLength: 6,
});

/** The frame decoder and body decoder: every outcome is a message or a clear error. */
export function fuzzFrames(numRuns: number): { runs: number; frames: number; errors: number } {
  let frames = 0;
  let errors = 0;
  fc.assert(
    fc.property(stream, fc.array(fc.nat({ max: 600 }), { maxLength: 4 }), (pieces, splits) => {
      const all = Buffer.concat(pieces);
      const decoder = new FrameDecoder(MAX_FRAME, (body) => {
        try {
          decodeBody(body);
          frames++;
        } catch (e) {
          if (!clearError(e)) throw e;
          errors++;
        }
      });
      let at = 0;
      try {
        for (const s of [...splits, all.length]) {
          const end = Math.min(all.length, at + s);
          decoder.push(all.subarray(at, end));
          at = end;
        }
        decoder.push(all.subarray(at));
      } catch (e) {
        if (!clearError(e)) throw e;
        errors++;
      }
    }),
    { numRuns },
  );
  return { runs: numRuns, frames, errors };
}

const validLines = [
  '{"id":1,"method":"submit","params":{"plugin":"echo","input":{"x":1}}}',
  '{"id":2,"result":{"id":"abc","status":"completed","result":{"$bytes":"AQID"}}}',
  '{"id":3,"error":{"code":"ERR_JOB_NOT_FOUND","message":"no job x"}}',
  '{"method":"job.event","params":{"watch":4,"event":{"type":"progress","fraction":0.5}}}',
];
const mutatedLine = fc
  .tuple(fc.constantFrom(...validLines), fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 3 })), { maxLength: 4 }))
  .map(([line, edits]) => {
    let s = line;
    for (const [at, text] of edits) {
      const i = at % (s.length + 1);
      s = s.slice(0, i) + text + s.slice(i + 1);
    }
    return s;
  });

/** The control wire: a line reader with a small limit, then decodeLine on every line. */
export function fuzzControlLines(numRuns: number): { runs: number; lines: number; errors: number } {
  let lines = 0;
  let errors = 0;
  fc.assert(
    fc.property(
      fc.array(fc.oneof(mutatedLine, fc.string({ maxLength: 300 }), fc.constantFrom(...validLines)), { maxLength: 6 }),
      (parts) => {
        const reader = new wire.LineReader(1024);
        try {
          for (const line of reader.push(Buffer.from(`${parts.join('\n')}\n`))) {
            try {
              wire.decodeLine(line);
              lines++;
            } catch (e) {
              if (!clearError(e)) throw e;
              errors++;
            }
          }
        } catch (e) {
          if (!clearError(e)) throw e;
          errors++;
        }
      },
    ),
    { numRuns },
  );
  return { runs: numRuns, lines, errors };
}

/** A worker with fd 3 as a raw channel, past its handshake. */
async function rawWorker(): Promise<{
  child: ChildProcess;
  socket: Socket;
  request: (method: string, params: unknown) => Promise<Message | null>;
  exited: Promise<number | null>;
}> {
  const entry = createRequire(import.meta.url).resolve('@bulkhead/sdk/worker');
  const child = spawn(process.execPath, [entry, fixture('echo')], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { ...process.env, BULKHEAD_PROCESS_GROUP: undefined },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const socket = child.stdio[3] as unknown as Socket;
  const answers = new Map<number, (m: Message | null) => void>();
  let nextId = 1;
  let closed = false;
  const channel = new Channel(socket, 1 << 20, {
    onMessage: (m) => {
      const id = (m as { id?: number }).id;
      if (id !== undefined && !('method' in m)) answers.get(id)?.(m);
    },
    onProtocolError: () => {},
    onClose: () => {
      closed = true;
      for (const a of answers.values()) a(null);
    },
  });
  const request = (method: string, params: unknown) =>
    new Promise<Message | null>((resolve) => {
      if (closed) return resolve(null);
      const id = nextId++;
      answers.set(id, resolve);
      channel.send({ id, method, params } as Message);
    });
  const init = await request('initialize', { protocolVersion: PROTOCOL_VERSION, config: {} });
  assert.ok(init && 'result' in init, 'the worker started');
  return { child, socket, request, exited };
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const message = fc.oneof(
  fc.record({
    method: fc.oneof(fc.constantFrom('execute', 'ping', 'stats', 'configure', '$/cancel'), fc.string()),
    params: jsonValue,
  }),
  fc.record({ id: fc.integer(), result: jsonValue }),
  fc.record({ method: fc.constantFrom('$/cancel', '$/credit', '$/unknown'), params: jsonValue }),
);

/**
 * The worker: `rounds` workers, each sent `perRound` random messages (valid frames, nonsense
 * content), then a ping that must be answered; then raw garbage, after which it must exit, not hang.
 */
export async function fuzzWorker(rounds: number, perRound: number): Promise<{ messages: number; exits: number }> {
  let messages = 0;
  let exits = 0;
  const samples = fc.sample(fc.array(message, { minLength: perRound, maxLength: perRound }), rounds);
  for (const batch of samples) {
    const w = await rawWorker();
    try {
      for (const m of batch) {
        const { method, params } = m as { method?: string; params?: unknown };
        if (method !== undefined && method !== 'execute') {
          void w.request(method, params); // answered or ignored: what matters is what follows
        } else {
          const answer = await w.request('execute', params ?? null);
          assert.ok(answer === null || 'result' in answer || 'error' in answer, 'an execute is answered');
        }
        messages++;
      }
      const pong = await w.request('ping', {});
      assert.ok(pong !== null && 'result' in pong, 'after nonsense, the worker still answers a ping');
      w.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
      await w.exited;
      exits++;
    } finally {
      w.child.kill('SIGKILL');
    }
  }
  return { messages, exits };
}

/** Heap growth over a run, in MiB: the decoders must not keep what they were fed. */
export function heapGrowthMiB(run: () => void): number {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  run();
  globalThis.gc?.();
  return (process.memoryUsage().heapUsed - before) / (1024 * 1024);
}

// `node build/test/protocol-fuzz.js [cases]`: the long run (npm run fuzz).
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').slice(-2).join('/'))) {
  const n = Number(process.argv[2] ?? 100_000);
  const t0 = performance.now();
  const frames = fuzzFrames(n);
  const lines = fuzzControlLines(n);
  const growth = heapGrowthMiB(() => fuzzFrames(Math.min(n, 20_000)));
  const worker = await fuzzWorker(Math.max(2, Math.round(n / 10_000)), 200);
  console.log(
    JSON.stringify({
      frames,
      lines,
      worker,
      heapGrowthMiB: Number(growth.toFixed(1)),
      ms: Math.round(performance.now() - t0),
    }),
  );
}
