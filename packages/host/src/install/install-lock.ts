/**
 * One `bulkhead install` at a time per home: two at once would race on the same environments
 * and on the staging directory. The lock is a file holding its holder's identity (pid, boot,
 * start time); a lock whose process is gone (or whose pid now belongs to another process, or to
 * us) is taken over, so a crashed install never blocks the next one.
 * @module
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { identify, isRunning, type ProcessIdentity } from '../process/process-identity.js';

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
      await handle.writeFile(JSON.stringify(identify(process.pid)));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = parseHolder(await readFile(file, 'utf8').catch(() => ''));
    // Our own pid is a lock left by an earlier process that had it (a container's pid 1 again).
    if (holder === null || holder.pid === process.pid || !isRunning(holder)) {
      // Dead holder (or a lock being written right now: then the retry sees it complete).
      if (holder !== null) await rm(file, { force: true });
      else await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    const { pid } = holder;
    if (!told) options.onWait?.(pid);
    told = true;
    if (options.signal?.aborted) throw new BulkheadError('ERR_CANCELLED', 'install cancelled', { forced: false });
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function parseHolder(text: string): ProcessIdentity | null {
  try {
    const id = JSON.parse(text) as ProcessIdentity;
    return Number.isInteger(id?.pid) ? id : null;
  } catch {
    return null;
  }
}
