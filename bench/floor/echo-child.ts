/**
 * Floor peer: `node echo-child.js`, spawned like a Bulkhead worker (fd 3 a socketpair). Echoes each
 * length-prefixed message on fd 3 back once it has arrived whole (store and forward, as a call must:
 * nobody can answer a request before reading it). Exits when the parent closes fd 3.
 * @module
 */
import { Socket } from 'node:net';
import { FrameReader, lengthHeader } from './framing.js';

const socket = new Socket({ fd: 3, readable: true, writable: true });
const reader = new FrameReader((body) => {
  // Two writes, no copy of the body; cork so a small message still leaves in one syscall.
  socket.cork();
  socket.write(lengthHeader(body.length));
  socket.write(body);
  socket.uncork();
});
socket.on('data', (chunk: Buffer) => reader.push(chunk));
socket.on('end', () => process.exit(0));
socket.on('close', () => process.exit(0));
socket.on('error', () => process.exit(0));
