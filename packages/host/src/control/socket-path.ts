/**
 * Where the control socket of a home lives.
 *
 * @example
 * controlSocketPath('/home/ada/.bulkhead') // => '/home/ada/.bulkhead/run/bulkhead.sock'
 * @module
 */
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `sun_path` holds 108 bytes on Linux and 104 on macOS, NUL included; a longer path cannot be bound
 * at all, so we stay under both with room to spare.
 */
export const MAX_SOCKET_PATH_BYTES = 100;

/**
 * `<home>/run/bulkhead.sock`; for a home so deep that this passes {@link MAX_SOCKET_PATH_BYTES},
 * `<tmpdir>/bulkhead-<16 hex of sha256(home)>.sock`, the same for every process that names the same
 * home (pass it resolved, as the manager's `home` is).
 */
export function controlSocketPath(home: string): string {
  const inHome = join(home, 'run', 'bulkhead.sock');
  if (Buffer.byteLength(inHome) <= MAX_SOCKET_PATH_BYTES) return inHome;
  // Required here, not imported: loading node:crypto costs ~6 ms, and `bulkhead run` looks up this
  // path before it spawns its worker, for a home that almost never needs the hash.
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const hash = createHash('sha256').update(home).digest('hex').slice(0, 16);
  return join(tmpdir(), `bulkhead-${hash}.sock`);
}

/** The directory made private (0700) before listening: only for the in-home location. */
export function controlSocketDir(home: string): string | null {
  const path = controlSocketPath(home);
  return path === join(home, 'run', 'bulkhead.sock') ? join(home, 'run') : null;
}
