/**
 * One `bulkhead install` at a time per home: two at once would race on the same environments
 * and on the staging directory. The lock is an identity-checked lock file (process/lock-file.ts):
 * a lock whose holder is gone or cannot be identified (an empty file left by a full disk) is taken
 * over, so a crashed install never blocks the next one; a live holder is waited for.
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { diskFullError, isDiskFull } from '../disk/disk-full.js';
import { type LockHolder, type LockTakeover, releaseLock, tryLock } from '../process/lock-file.js';

const POLL_MS = 200;

/**
 * Waits for the lock (calling `onWait` once with the holder if it must wait), then returns its
 * release function. `signal` ends the wait with ERR_CANCELLED.
 */
export async function lockInstalls(
  pluginsDir: string,
  options: {
    signal?: AbortSignal;
    onWait?: (holder: LockHolder) => void;
    onTakeover?: (takeover: LockTakeover) => void;
  } = {},
): Promise<() => Promise<void>> {
  await mkdir(pluginsDir, { recursive: true });
  const file = join(pluginsDir, '.install.lock');
  let told = false;
  for (;;) {
    if (options.signal?.aborted) throw new BulkheadError('ERR_CANCELLED', 'install cancelled', { forced: false });
    let got: ReturnType<typeof tryLock>;
    try {
      got = tryLock(file, options.onTakeover ? { onTakeover: options.onTakeover } : {});
    } catch (e) {
      if (isDiskFull(e)) throw diskFullError(pluginsDir, 'the install lock', e);
      throw e;
    }
    if (got === true) return async () => releaseLock(file);
    if (!told) options.onWait?.(got);
    told = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, POLL_MS);
      options.signal?.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}
