/**
 * The Bulkhead side of each measurement, through the public host API only.
 * @module
 */
import { type BulkheadError, PluginProcess } from 'bulkhead';
import { fixture } from './paths.js';
import { rssMiB, sleep } from './proc.js';

/** Loosely typed: the fixtures' own types live in the test project, outside this one. */
export type Proc = PluginProcess;

export function startFixture(name: string): Promise<Proc> {
  return PluginProcess.start({ plugin: fixture(name) });
}

/** A no-op call's input: what the RTT benchmark sends, and what the floor's message mimics. */
export const NOOP_INPUT = { x: 1 } as const;

export async function warmUp(proc: Proc, calls: number): Promise<void> {
  for (let i = 0; i < calls; i++) await proc.execute(NOOP_INPUT);
}

/**
 * `total` no-op calls with `inFlight` kept outstanding throughout (each lane issues its next call
 * as soon as its last one answers, so the window never drains between batches). Returns calls/s.
 */
export async function pipelined(proc: Proc, total: number, inFlight: number): Promise<number> {
  let issued = 0;
  const lane = async () => {
    while (issued < total) {
      issued++;
      await proc.execute(NOOP_INPUT);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, lane));
  return total / ((performance.now() - t0) / 1000);
}

/** One `stream({count})` call read to the end with `for await`. Returns chunks/s. */
export async function streamChunks(proc: Proc, count: number): Promise<number> {
  const t0 = performance.now();
  let seen = 0;
  for await (const _ of proc.stream({ count })) seen++;
  const s = (performance.now() - t0) / 1000;
  if (seen !== count) throw new Error(`stream gave ${seen} chunks, expected ${count}`);
  return seen / s;
}

/** `data` to the binary fixture's identity op and back. Returns the duration in ms. */
export async function binaryIdentity(proc: Proc, data: Uint8Array): Promise<number> {
  const t0 = performance.now();
  const out = (await proc.execute({ op: 'identity', data })) as Uint8Array;
  const ms = performance.now() - t0;
  if (out.byteLength !== data.byteLength) throw new Error(`identity returned ${out.byteLength} bytes`);
  return ms;
}

/** `PluginProcess.start()` of the noop plugin to its first execute answered, in ms. */
export async function coldStart(): Promise<number> {
  const t0 = performance.now();
  const proc = await startFixture('noop');
  await proc.execute(NOOP_INPUT);
  const ms = performance.now() - t0;
  await proc.stop();
  return ms;
}

/** RSS of an idle noop worker after one call, in MiB, once `settleMs` has passed. */
export async function idleWorkerRss(settleMs: number): Promise<number> {
  const proc = await startFixture('noop');
  try {
    await proc.execute(NOOP_INPUT);
    await sleep(settleMs);
    return rssMiB(proc.pid ?? -1);
  } finally {
    await proc.stop();
  }
}

/**
 * SIGKILL a worker that holds a never-answered call, and time until that call is rejected with
 * ERR_WORKER_EXITED. Returns ms.
 */
export async function crashDetect(): Promise<number> {
  const proc = await startFixture('ignores-abort');
  try {
    const pending = proc.execute({}).then(
      () => {
        throw new Error('a call on ignores-abort answered');
      },
      (e: BulkheadError) => e,
    );
    // Requests are handled in order: once the ping is answered, the execute is in the plugin.
    await proc.ping();
    const t0 = performance.now();
    process.kill(proc.pid ?? -1, 'SIGKILL');
    const error = await pending;
    const ms = performance.now() - t0;
    if (error.code !== 'ERR_WORKER_EXITED') throw new Error(`call failed with ${error.code}, not ERR_WORKER_EXITED`);
    return ms;
  } finally {
    await proc.stop();
  }
}
