/**
 * Protocol versioning: `MAJOR.MINOR`. Peers with the same major interoperate; a minor bump only adds
 * optional fields or methods, which a receiver must ignore or answer with ERR_METHOD_NOT_FOUND.
 * @module
 */
import { BulkheadError } from '../errors.js';

export const PROTOCOL_VERSION = '1.1';

/** Default largest frame either side accepts or sends: 256 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;

export function majorOf(version: string): number {
  const m = /^(\d+)\.(\d+)$/.exec(version);
  return m ? Number(m[1]) : Number.NaN;
}

/** Throws ERR_PROTOCOL_VERSION naming both versions unless the majors match. */
export function assertCompatible(host: string, worker: string): void {
  if (majorOf(host) !== majorOf(worker) || Number.isNaN(majorOf(worker))) {
    throw new BulkheadError(
      'ERR_PROTOCOL_VERSION',
      `protocol version mismatch: host speaks ${host}, worker speaks ${worker} (majors must match)`,
      { host, worker },
    );
  }
}
