/**
 * The install check for native addons: every `.node` file in an environment is loaded once with
 * the Node its worker will run, so an addon built for another Node's ABI (or missing a library)
 * fails the install, with the loader's own words, and never a plugin's first job, however lazily
 * the plugin loads it.
 * @module
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';

/** `.node` files under `dir`, skipping the `node` package itself (its binary is no addon). */
export async function findAddons(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    if (depth > 12) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(d, e.name);
      if (e.isDirectory()) {
        // node-gyp's intermediates (obj.target) are copies of the addon in build/Release: a second
        // copy of one addon in one process "did not self-register".
        if (e.name === '.bin' || e.name === 'obj.target' || (e.name === 'node' && depth === 1)) continue;
        await walk(path, depth + 1);
      } else if (e.isFile() && e.name.endsWith('.node')) found.push(path);
    }
  };
  await walk(join(dir, 'node_modules'), 1);
  return found.sort();
}

const LOAD_EACH = `
const failed = [];
for (const file of JSON.parse(process.argv[1])) {
  try { process.dlopen({ exports: {} }, file); } catch (e) { failed.push(file + ': ' + String(e && e.message).split('\\n')[0]); }
}
if (failed.length > 0) { process.stderr.write(failed.join('\\n')); process.exit(1); }
`;

/** Loads each addon of `envDir` with `nodePath`; throws ERR_INSTALL_FAILED naming each that fails. */
export async function checkNativeAddons(envDir: string, nodePath: string, signal?: AbortSignal): Promise<number> {
  const addons = await findAddons(envDir);
  if (addons.length === 0) return 0;
  await new Promise<void>((resolve, reject) => {
    execFile(
      nodePath,
      ['-e', LOAD_EACH, JSON.stringify(addons)],
      { cwd: envDir, ...(signal ? { signal } : {}), maxBuffer: 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (error === null) return resolve();
        const lines = stderr.trim().split('\n').filter(Boolean);
        const text = (lines.length > 0 ? lines : [error.message])
          .map((l) => `  ${l.replace(`${envDir}/`, '')}`)
          .join('\n');
        reject(
          new BulkheadError(
            'ERR_INSTALL_FAILED',
            `a native addon does not load on the Node its jobs run on (${relative(envDir, nodePath) || nodePath}):\n${text}`,
          ),
        );
      },
    );
  });
  return addons.length;
}
