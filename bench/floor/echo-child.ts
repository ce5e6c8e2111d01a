/**
 * Floor peer: `node echo-child.js`, spawned like a Bulkhead worker (fd 3 a socketpair). Echoes each
 * length-prefixed message on fd 3 back once it has arrived whole (store and forward, as a call must:
 * nobody can answer a request before reading it). Exits when the parent closes fd 3.
 * @module
 */
import { Socket } from 'node:net';
import { FrameReader, frame, lengthHeader } from './framing.js';

/** Below this a message is re-framed into one buffer (one write, as Bulkhead does); above, not copied. */
const COPY_LIMIT = 64 * 1024;

const socket = new Socket({ fd: 3, readable: true, writable: true });
const reader = new FrameReader((body) => {
  if (body.length < COPY_LIMIT) {
    socket.write(frame(body));
    return;
  }
  socket.cork();
  socket.write(lengthHeader(body.length));
  socket.write(body);
  socket.uncork();
});
socket.on('data', (chunk: Buffer) => reader.push(chunk));
socket.on('end', () => process.exit(0));
socket.on('close', () => process.exit(0));
socket.on('error', () => process.exit(0));
