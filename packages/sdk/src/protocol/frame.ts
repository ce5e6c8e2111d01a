/**
 * Framing: the one place that knows bytes.
 *
 * ```
 * frame  = u32be bodyLength, body            (bodyLength ≤ maxFrameBytes)
 * body   = u32be headerLength, header, attachment*
 * header = UTF-8 JSON object; its "bin" member lists attachment lengths in order
 * ```
 * Attachments are raw bytes written straight from the caller's buffers (no base64, no copy into
 * the header). On receipt they are views into the frame, so a 64 MiB payload is copied once, out
 * of the socket, and never again.
 * @module
 */
import { BulkheadError } from '../errors.js';
import { FILE_KEY, type HandoffDir } from './handoff.js';
import type { Message } from './messages.js';
import { preparePayload, revivePayload } from './payload.js';

/** Frames at least this big are assembled into one preallocated buffer instead of by concat. */
const LARGE_FRAME = 64 * 1024;

/** Encodes a message into buffers to be written in order: header part first, then attachments. */
export function encodeFrame(message: Message, maxFrameBytes: number, handoff?: HandoffDir): Buffer[] {
  const bins: Uint8Array[] = [];
  const m = message as { params?: unknown; result?: unknown };
  let wire: Record<string, unknown> = message as unknown as Record<string, unknown>;
  if (m.params !== undefined) {
    const params = preparePayload(m.params, bins, 'params', handoff);
    if (params !== m.params) wire = { ...wire, params };
  } else if (m.result !== undefined) {
    const result = preparePayload(m.result, bins, 'result', handoff);
    if (result !== m.result) wire = { ...wire, result };
  }
  if (bins.length > 0) wire = { ...wire, bin: bins.map((b) => b.byteLength) };
  return frameParts(JSON.stringify(wire), bins, maxFrameBytes);
}

/**
 * Encodes a `$/chunk` notification from items already encoded one by one (each a JSON text whose
 * binary references index `bins`), so a stream serializes each item once, when it is produced.
 */
export function encodeChunkFrame(id: number, items: string[], bins: Uint8Array[], maxFrameBytes: number): Buffer[] {
  const bin = bins.length > 0 ? `,"bin":[${bins.map((b) => b.byteLength).join(',')}]` : '';
  return frameParts(
    `{"method":"$/chunk","params":{"id":${id},"items":[${items.join(',')}]}${bin}}`,
    bins,
    maxFrameBytes,
  );
}

/** Bytes of a frame around its header and attachments: the two length prefixes. */
export const FRAME_OVERHEAD = 8;

function frameParts(json: string, bins: Uint8Array[], maxFrameBytes: number): Buffer[] {
  let attachmentBytes = 0;
  for (const b of bins) attachmentBytes += b.byteLength;
  const headerLength = Buffer.byteLength(json);
  const bodyLength = 4 + headerLength + attachmentBytes;
  if (bodyLength > maxFrameBytes) {
    throw new BulkheadError(
      'ERR_FRAME_TOO_LARGE',
      `message of ${bodyLength} bytes exceeds the maximum frame size of ${maxFrameBytes} bytes; ` +
        'mark large binaries with handoff() to send them by file, or pass a file path instead',
      { bytes: bodyLength, maxFrameBytes },
    );
  }
  const head = Buffer.allocUnsafe(FRAME_OVERHEAD + headerLength);
  head.writeUInt32BE(bodyLength, 0);
  head.writeUInt32BE(headerLength, 4);
  head.write(json, FRAME_OVERHEAD, 'utf8');
  if (bins.length === 0) return [head];
  const out: Buffer[] = [head];
  for (const b of bins) out.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  return out;
}

/** Parses one frame body into a message, reviving binary references. Throws ERR_PROTOCOL. */
export function decodeBody(body: Buffer, handoffDir?: string): Message {
  if (body.length < 4) throw protocolError(`frame body of ${body.length} bytes has no header length`);
  const headerLength = body.readUInt32BE(0);
  if (headerLength > body.length - 4) {
    throw protocolError(`header length ${headerLength} exceeds frame body of ${body.length} bytes`);
  }
  let parsed: unknown;
  const text = body.toString('utf8', 4, 4 + headerLength);
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw protocolError(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw protocolError('header is not a JSON object');
  }
  const msg = parsed as Record<string, unknown>;
  const bin = msg.bin;
  let offset = 4 + headerLength;
  if (bin === undefined) {
    if (offset !== body.length) throw protocolError('frame has trailing bytes but no "bin" list');
    // A file reference without attachments: only then is the header searched for one.
    if (text.includes(`"${FILE_KEY}"`)) {
      try {
        if (msg.params !== undefined) msg.params = revivePayload(msg.params, [], handoffDir);
        if (msg.result !== undefined) msg.result = revivePayload(msg.result, [], handoffDir);
      } catch (e) {
        throw protocolError((e as Error).message);
      }
    }
  } else {
    if (!Array.isArray(bin)) throw protocolError('"bin" must be an array of lengths');
    const attachments: Buffer[] = [];
    for (const len of bin) {
      if (!Number.isInteger(len) || len < 0 || offset + len > body.length) {
        throw protocolError('"bin" lengths do not match the frame');
      }
      attachments.push(body.subarray(offset, offset + len));
      offset += len;
    }
    if (offset !== body.length) throw protocolError('"bin" lengths do not match the frame');
    delete msg.bin;
    try {
      if (msg.params !== undefined) msg.params = revivePayload(msg.params, attachments, handoffDir);
      if (msg.result !== undefined) msg.result = revivePayload(msg.result, attachments, handoffDir);
    } catch (e) {
      throw protocolError((e as Error).message);
    }
  }
  if (typeof msg.method !== 'string' && typeof msg.id !== 'number') {
    throw protocolError('message has neither a string "method" nor a numeric "id"');
  }
  return msg as unknown as Message;
}

/**
 * Reassembles frames from stream chunks. Frame bodies are handed out as views of the chunks they
 * arrived in where possible; a frame split across chunks is copied once into its own buffer.
 */
export class FrameDecoder {
  #rest: Buffer | null = null;
  #big: Buffer | null = null;
  #filled = 0;
  readonly #max: number;
  readonly #onFrame: (body: Buffer) => void;

  constructor(maxFrameBytes: number, onFrame: (body: Buffer) => void) {
    this.#max = maxFrameBytes;
    this.#onFrame = onFrame;
  }

  /** Feed bytes; calls onFrame for each complete frame. Throws ERR_PROTOCOL on a bad length. */
  push(chunk: Buffer): void {
    if (this.#big !== null) {
      const big = this.#big;
      const n = Math.min(big.length - this.#filled, chunk.length);
      chunk.copy(big, this.#filled, 0, n);
      this.#filled += n;
      if (this.#filled < big.length) return;
      this.#big = null;
      this.#filled = 0;
      this.#onFrame(big);
      chunk = chunk.subarray(n);
    }
    if (this.#rest !== null) {
      chunk = Buffer.concat([this.#rest, chunk]);
      this.#rest = null;
    }
    let off = 0;
    while (chunk.length - off >= 4) {
      const len = chunk.readUInt32BE(off);
      if (len > this.#max) {
        throw protocolError(`incoming frame of ${len} bytes exceeds the maximum of ${this.#max}`);
      }
      const end = off + 4 + len;
      if (end <= chunk.length) {
        this.#onFrame(chunk.subarray(off + 4, end));
        off = end;
        continue;
      }
      if (len >= LARGE_FRAME) {
        const big = Buffer.allocUnsafe(len);
        this.#filled = chunk.copy(big, 0, off + 4);
        this.#big = big;
        return;
      }
      break;
    }
    if (off < chunk.length) this.#rest = chunk.subarray(off);
  }

  /** Bytes of an incomplete frame held back, for diagnostics. */
  get pendingBytes(): number {
    return (this.#rest?.length ?? 0) + this.#filled;
  }
}

function protocolError(message: string): BulkheadError {
  return new BulkheadError('ERR_PROTOCOL', `protocol error: ${message}`);
}
