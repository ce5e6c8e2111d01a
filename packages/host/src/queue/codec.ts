/**
 * Job inputs and results are stored in the wire protocol's own encoding (a JSON header plus raw
 * binary attachments), so what can be sent to a plugin can be stored, byte for byte, and what
 * cannot is refused at submit with the same ERR_SERIALIZE, naming the path.
 * @module
 */
import { decodeBody, encodeFrame } from '@bulkhead/sdk/protocol';

const MAX_STORED_BYTES = 256 * 1024 * 1024;

export function encodeValue(value: unknown): Uint8Array {
  // A response-shaped message carries exactly one value; the 4-byte length prefix is dropped.
  const parts = encodeFrame({ id: 0, result: value === undefined ? null : value }, MAX_STORED_BYTES);
  const out = Buffer.concat(parts);
  return out.subarray(4);
}

export function decodeValue(bytes: Uint8Array): unknown {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return (decodeBody(body) as { result?: unknown }).result;
}
