/**
 * One `bulkhead install` at a time per home: two at once would race on the same environments
 * and on the staging directory. The lock is a file holding the owner's pid and its start time; a
 * lock whose process is gone (or whose pid now belongs to another process, or to us) is taken
 * over, so a crashed install never blocks the next one.
 * @module
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { processStartTicks } from '../process/kill-group.js';

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
      await handle.writeFile(`${process.pid} ${processStartTicks(process.pid) ?? ''}`.trim());
      await handle.close();
      return () => rm(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const [pidText, ticksText] = (await readFile(file, 'utf8').catch(() => '')).split(' ');
    const pid = Number.parseInt(pidText ?? '', 10);
    if (!Number.isInteger(pid) || !holds(pid, ticksText)) {
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

/** Whether `pid` is still the process that took the lock: alive, not us, started when it said. */
function holds(pid: number, ticks: string | undefined): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = processStartTicks(pid);
  return ticks === undefined || ticks === '' || now === undefined || String(now) === ticks;
}
