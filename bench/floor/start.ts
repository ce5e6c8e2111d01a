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
