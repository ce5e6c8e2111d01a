/**
 * The `home` check: the Bulkhead home is a writable directory (or can be created) with room to spare.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { access, constants, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errorCode, fail, firstLine, formatBytes, type Outcome, ok, warn } from './check.js';

/** Below this much free space in the home, `home` warns: results and logs are written there. */
export const LOW_DISK_BYTES = 1024 ** 3;

const ELSEWHERE = 'or set BULKHEAD_HOME to another directory';

export async function checkHome(home: string): Promise<Outcome> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(home);
  } catch (e) {
    const code = errorCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return checkCreatable(home);
    return fail(`${home} cannot be read (${code ?? firstLine(e)})`, `check its permissions, ${ELSEWHERE}`);
  }
  if (!info.isDirectory()) return fail(`${home} is not a directory`, `move that file aside, ${ELSEWHERE}`);
  // access(W_OK) reads mode bits alone; only a real write sees a read-only mount, ACLs or a full disk.
  const probe = join(home, `.doctor-${process.pid}-${randomUUID().slice(0, 8)}`);
  try {
    await writeFile(probe, 'bulkhead doctor\n', { flag: 'wx' });
    await rm(probe, { force: true });
  } catch (e) {
    // The probe may have been created before the write failed: leave nothing behind.
    await rm(probe, { force: true }).catch(() => {});
    const why = errorCode(e) ?? firstLine(e);
    if (why === 'ENOSPC' || why === 'EDQUOT') {
      return fail(`${home} is on a full disk (${why})`, `free some space on it, ${ELSEWHERE}`);
    }
    if (why === 'EROFS') return fail(`${home} is on a read-only file system`, `remount it read-write, ${ELSEWHERE}`);
    return fail(`${home} is not writable (${why})`, `make it writable (chmod u+w ${home}), ${ELSEWHERE}`);
  }
  return withFreeSpace(home, `${home} is a writable directory`);
}

/** A home that does not exist yet is fine if its nearest existing ancestor is a writable directory. */
async function checkCreatable(home: string): Promise<Outcome> {
  let parent = dirname(home);
  for (;;) {
    try {
      if ((await stat(parent)).isDirectory()) break;
      return fail(`${home} cannot be created: ${parent} is a file`, `move ${parent} aside, ${ELSEWHERE}`);
    } catch (e) {
      const code = errorCode(e);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(parent) === parent) throw e;
      parent = dirname(parent);
    }
  }
  try {
    await access(parent, constants.W_OK);
  } catch {
    return fail(`${home} cannot be created: ${parent} is not writable`, `create ${home} for this user, ${ELSEWHERE}`);
  }
  return withFreeSpace(parent, `${home} does not exist yet; it will be created on first use`);
}

async function withFreeSpace(dir: string, detail: string): Promise<Outcome> {
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free >= LOW_DISK_BYTES) return ok(`${detail}, ${formatBytes(free)} free`);
  const fix = 'free disk space there (job results and logs are stored in the home), or move BULKHEAD_HOME';
  return warn(`${detail}, but only ${formatBytes(free)} free`, fix);
}
