/**
 * Floor round trips and bulk transfer: a message to the echo child and back over fd 3, with none of
 * Bulkhead's encoding, dispatch or bookkeeping. What is left is spawn-free IPC cost.
 * @module
 */
import { frame, lengthHeader } from './framing.js';
import { FloorPeer } from './spawn.js';

export async function openEchoPeer(): Promise<FloorPeer> {
  const peer = new FloorPeer('echo-child');
  // One exchange first, so the child is up and measurements start on a live channel.
  await roundTrip(peer, frame(Buffer.from('{}')));
  return peer;
}

/** Sends one already-framed small message and resolves when its echo is back. */
export function roundTrip(peer: FloorPeer, framed: Buffer): Promise<Buffer> {
  const answer = peer.next();
  peer.socket.write(framed);
  return answer;
}

/** Sends `payload` as one message (header, then the body uncopied) and resolves with its echo. */
export function echoBytes(peer: FloorPeer, payload: Uint8Array): Promise<Buffer> {
  const answer = peer.next();
  const socket = peer.socket;
  socket.cork();
  socket.write(lengthHeader(payload.byteLength));
  socket.write(payload);
  socket.uncork();
  return answer;
}
