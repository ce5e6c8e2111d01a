/**
 * The least framing a length-prefixed protocol can do, for the floor measurements: a u32be length
 * then the body. Bodies that arrive whole are handed out as views (no copy); a body split across
 * chunks is gathered into one preallocated buffer (one copy), the same work Bulkhead's decoder does
 * for big frames, so the floor is not flattered by skipping work any real protocol must do.
 * @module
 */

/** Prefixes `body` with its u32be length, as one buffer (small messages: one write). */
export function frame(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** The 4-byte length header alone, for big bodies written separately without a copy. */
export function lengthHeader(bytes: number): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(bytes, 0);
  return head;
}

export class FrameReader {
  #rest: Buffer | null = null;
  #big: Buffer | null = null;
  #filled = 0;
  readonly #onFrame: (body: Buffer) => void;

  constructor(onFrame: (body: Buffer) => void) {
    this.#onFrame = onFrame;
  }

  push(chunk: Buffer): void {
    if (this.#big !== null) {
      const big = this.#big;
      const n = chunk.copy(big, this.#filled);
      this.#filled += n;
      if (this.#filled < big.length) return;
      this.#big = null;
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
      const end = off + 4 + len;
      if (end <= chunk.length) {
        this.#onFrame(chunk.subarray(off + 4, end));
        off = end;
        continue;
      }
      const big = Buffer.allocUnsafe(len);
      this.#filled = chunk.copy(big, 0, off + 4);
      this.#big = big;
      return;
    }
    if (off < chunk.length) this.#rest = chunk.subarray(off);
  }
}
