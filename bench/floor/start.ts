/**
 * Floor cold start: spawn a bare Node process the way a worker is spawned and wait for the one
 * message it writes on fd 3. Everything a worker adds (module loading, handshake) is above this.
 * @module
 */
import { FloorPeer } from './spawn.js';

export interface FloorStart {
  /** Spawn to first message received, in ms. */
  ms: number;
  /** The idle child, still running: close it when done (after reading its memory, say). */
  peer: FloorPeer;
}

export async function floorStart(): Promise<FloorStart> {
  const t0 = performance.now();
  const peer = new FloorPeer('hello-child');
  await peer.next();
  return { ms: performance.now() - t0, peer };
}

/** Spawn to first message of a bare Node, in ms, with the child closed again: the cold-start floor. */
export async function floorStartMs(): Promise<number> {
  const { ms, peer } = await floorStart();
  await peer.close();
  return ms;
}
