/**
 * Starts a floor child exactly as PluginProcess starts a worker (same executable, detached into its
 * own group, stdio ['ignore','pipe','pipe','pipe'] with fd 3 as the channel), so the floor and
 * Bulkhead differ only in what runs over that channel.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import { floorScript } from '../paths.js';
import { FrameReader } from './framing.js';

export class FloorPeer {
  readonly child: ChildProcess;
  readonly socket: Socket;
  readonly #exited: Promise<unknown>;
  /** Waiters for incoming messages, oldest first (the peer answers in order). */
  readonly #waiters: ((body: Buffer) => void)[] = [];
  #head = 0;

  constructor(script: string) {
    const file = floorScript(script);
    this.child = spawn(process.execPath, [file], {
      cwd: dirname(file),
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.#exited = once(this.child, 'exit');
    // Drained like Bulkhead drains a worker's logs, so a full pipe can never stall the child.
    this.child.stdout?.resume();
    this.child.stderr?.resume();
    this.socket = this.child.stdio[3] as Socket;
    const reader = new FrameReader((body) => {
      const waiter = this.#waiters[this.#head];
      if (waiter === undefined) return;
      this.#waiters[this.#head++] = undefined as never;
      if (this.#head === this.#waiters.length) {
        this.#waiters.length = 0;
        this.#head = 0;
      }
      waiter(body);
    });
    this.socket.on('data', (chunk: Buffer) => reader.push(chunk));
    this.socket.on('error', () => {});
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves with the next whole message the child sends. */
  next(): Promise<Buffer> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Closes fd 3 (the child exits on its own, as a worker does) and waits for the exit. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.socket.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.#exited;
    clearTimeout(timer);
  }
}
