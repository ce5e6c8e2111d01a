/**
 * A message channel over one byte stream (the worker's fd 3). Both the worker and the host use it.
 * @module
 */
import type { Duplex } from 'node:stream';
import { type BulkheadError, toBulkheadError } from '../errors.js';
import { decodeBody, encodeFrame, FrameDecoder } from './frame.js';
import type { HandoffDir } from './handoff.js';
import type { Message } from './messages.js';

/** Messages per writev within one tick. */
const FLUSH_EVERY = 32;

export interface ChannelHandlers {
  onMessage(message: Message): void;
  /** The peer broke the protocol. The channel is already destroyed when this runs. */
  onProtocolError(error: BulkheadError): void;
  /** The stream ended or closed, for whatever reason. Called once. */
  onClose(): void;
}

export class Channel {
  readonly #socket: Duplex;
  readonly #max: number;
  readonly #decoder: FrameDecoder;
  readonly #handlers: ChannelHandlers;
  #corked = false;
  #sinceFlush = 0;
  #closed = false;
  /**
   * Where files are handed over (docs/protocol.md 3.1): `$file` references that arrive are read
   * from `receive`; binaries sent go by file into `send.dir` from `send.minBytes` on. Unset: none.
   */
  handoff: { receive?: string; send?: HandoffDir } = {};

  constructor(socket: Duplex, maxFrameBytes: number, handlers: ChannelHandlers) {
    this.#socket = socket;
    this.#max = maxFrameBytes;
    this.#handlers = handlers;
    this.#decoder = new FrameDecoder(maxFrameBytes, (body) => {
      handlers.onMessage(decodeBody(body, this.handoff.receive));
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.#closed) return;
      try {
        this.#decoder.push(chunk);
      } catch (e) {
        this.#fail(toBulkheadError(e, 'ERR_PROTOCOL'));
      }
    });
    const closed = () => this.#finish();
    socket.on('end', closed);
    socket.on('close', closed);
    // EPIPE/ECONNRESET when the peer dies: the close that follows is what matters.
    socket.on('error', () => {});
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The largest frame body this channel sends or accepts. */
  get maxFrameBytes(): number {
    return this.#max;
  }

  /**
   * Encodes and queues one message. Throws ERR_SERIALIZE or ERR_FRAME_TOO_LARGE synchronously,
   * having written nothing. Messages sent in the same tick leave in one writev.
   */
  send(message: Message): void {
    this.sendFrame(encodeFrame(message, this.#max, this.handoff.send));
  }

  /** Queues a frame already encoded (by encodeChunkFrame, say). */
  sendFrame(parts: Buffer[]): void {
    if (this.#closed) return;
    const socket = this.#socket;
    if (!this.#corked) {
      this.#corked = true;
      this.#sinceFlush = 0;
      socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        socket.uncork();
      });
    } else if (++this.#sinceFlush >= FLUSH_EVERY) {
      // Flush part of a long batch now, so the peer starts on it while we produce the rest:
      // otherwise two processes on two cores take turns instead of working at the same time.
      this.#sinceFlush = 0;
      socket.uncork();
      socket.cork();
    }
    for (const part of parts) socket.write(part);
  }

  /** Ends the stream after pending writes; `done` runs once they are flushed. */
  close(done?: () => void): void {
    if (this.#closed) {
      done?.();
      return;
    }
    this.#closed = true;
    this.#socket.end(done);
  }

  #fail(error: BulkheadError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#handlers.onProtocolError(error);
    this.#handlers.onClose();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.onClose();
  }
}
