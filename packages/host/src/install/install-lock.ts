/**
 * One `bulkhead install` at a time per home: two at once would race on the same environments
 * and on the staging directory. The lock is a file holding the owner's pid; a lock whose process
 * is gone is taken over, so a crashed install never blocks the next one.
 * @module
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';

const POLL_MS = 200;

/**
 * Waits for the lock (calling `onWait` once with the holder's pid if it must wait), then returns
 * its release function.
 */
export async function lockInstalls(
  pluginsDir: string,
  options: { signal?: AbortSignal; onWait?: (pid: number) => void } = {},
): Promise<() => Promise<void>> {
  await mkdir(pluginsDir, { recursive: true });
  const file = join(pluginsDir, '.install.lock');
  let told = false;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (!Number.isInteger(pid) || !alive(pid)) {
      // Dead holder (or a lock being written right now: then the retry sees it complete).
      if (Number.isInteger(pid)) await rm(file, { force: true });
      else await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    if (!told) options.onWait?.(pid);
    told = true;
    if (options.signal?.aborted) throw new BulkheadError('ERR_CANCELLED', 'install cancelled', { forced: false });
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
