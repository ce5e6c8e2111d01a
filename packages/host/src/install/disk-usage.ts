/**
 * The disk an environment takes, as `du` counts it: allocated blocks, each inode once (npm and
 * the pinned Node's binary share files through hard links), symlinks not followed.
 * @module
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function diskUsage(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (path: string): Promise<void> => {
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(path);
    } catch {
      return; // gone meanwhile
    }
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    total += st.blocks * 512;
    if (!st.isDirectory()) return;
    const names = await readdir(path).catch(() => [] as string[]);
    await Promise.all(names.map((n) => walk(join(path, n))));
  };
  await walk(dir);
  return total;
}
