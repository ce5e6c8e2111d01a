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
  /** Messages sent in this tick so far, and whether the last tick that sent any sent several. */
  #sentInTick = 0;
  #bursting = false;
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
   * having written nothing. A lone message is written at once; messages sent in the same tick as
   * others leave together in one writev.
   */
  send(message: Message): void {
    this.sendFrame(encodeFrame(message, this.#max, this.handoff.send));
  }

  /** Queues a frame already encoded (by encodeChunkFrame, say). */
  sendFrame(parts: Buffer[]): void {
    if (this.#closed) return;
    const socket = this.#socket;
    if (this.#sentInTick++ === 0) {
      process.nextTick(this.#endTick);
      if (!this.#bursting) {
        // Calls one at a time: the message leaves now rather than at the end of the tick, so what
        // the sender still does in this tick (its bookkeeping, the caller's continuation) overlaps
        // with the peer's work instead of delaying it. With the peer on another core, idle until
        // the bytes arrive, that delay is the round trip's.
        if (parts.length === 1) socket.write(parts[0] as Buffer);
        else {
          socket.cork();
          for (const part of parts) socket.write(part);
          socket.uncork();
        }
        return;
      }
    }
    if (!this.#corked) {
      // Several messages this tick (or last): a burst, gathered into one writev at the tick's end.
      this.#corked = true;
      this.#sinceFlush = 0;
      socket.cork();
    } else if (++this.#sinceFlush >= FLUSH_EVERY) {
      // Flush part of a long batch now, so the peer starts on it while we produce the rest:
      // otherwise two processes on two cores take turns instead of working at the same time.
      this.#sinceFlush = 0;
      socket.uncork();
      socket.cork();
    }
    for (const part of parts) socket.write(part);
  }

  readonly #endTick = (): void => {
    // One message a tick keeps the next one eager; a burst keeps the next tick batched from its
    // first message, so pipelined calls still leave in few writes.
    this.#bursting = this.#sentInTick > 1;
    this.#sentInTick = 0;
    if (this.#corked) {
      this.#corked = false;
      this.#socket.uncork();
    }
  };

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
