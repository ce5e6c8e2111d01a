/**
 * Floor for cold start and idle memory: the barest Node process that does what every worker must,
 * open fd 3 and say one length-prefixed message on it. Imports nothing but node:net, on purpose.
 * Stays idle until the parent closes fd 3.
 * @module
 */
import { Socket } from 'node:net';

const socket = new Socket({ fd: 3, readable: true, writable: true });
const body = Buffer.from(JSON.stringify({ ready: true, pid: process.pid }));
const out = Buffer.allocUnsafe(4 + body.length);
out.writeUInt32BE(body.length, 0);
body.copy(out, 4);
socket.write(out);
socket.resume();
socket.on('end', () => process.exit(0));
socket.on('close', () => process.exit(0));
socket.on('error', () => process.exit(0));
