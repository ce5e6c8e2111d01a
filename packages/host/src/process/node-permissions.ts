/**
 * A manifest's `permissions` as Node's permission model flags (`--permission`, `--allow-fs-read`,
 * …) for a Node worker. A seat belt, not a sandbox: it stops a plugin from reading, writing or
 * spawning what it did not declare by mistake, but the model has known bypasses, does not cover
 * the network on Node 24, and a native addon (allowed with `addons`) is outside it entirely.
 *
 * What the worker itself needs is always readable: the plugin's directory and environment
 * directory, the SDK that runs it, and the `node_modules` directories Node's resolution walks;
 * the file-handoff directory is readable and writable.
 * @module
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PluginPermissions } from '../manifest/manifest.js';
import { handoffBase } from './handoff-dir.js';

/** `dir` and each ancestor's `node_modules` (where Node's resolution looks), real paths. */
function resolutionDirs(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    const nm = join(d, 'node_modules');
    if (existsSync(nm)) out.push(nm);
    if (dirname(d) === d) break;
  }
  return out;
}

const real = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/** The package root holding `file` (the nearest directory with a package.json). */
function packageRoot(file: string): string {
  for (let d = dirname(file); ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return dirname(file);
  }
}

/**
 * The flags for a Node worker of these permissions. `pluginFile` and `workerEntry` are the
 * module the worker runs and the SDK entry that runs it; `baseDir` is what declared paths are
 * relative to (the manifest's directory); `cwd` the worker's directory.
 */
export function permissionArgs(
  permissions: PluginPermissions,
  paths: { pluginFile: string; workerEntry: string; cwd: string; baseDir: string },
): string[] {
  const reads = new Set<string>();
  const sdk = real(packageRoot(paths.workerEntry));
  for (const dir of [dirname(real(paths.pluginFile)), real(paths.cwd), sdk]) {
    reads.add(dir);
    for (const nm of resolutionDirs(dir)) reads.add(nm);
  }
  const declared = (list: string[] | undefined) => (list ?? []).map((p) => resolve(paths.baseDir, p));
  for (const p of declared(permissions.fsRead)) reads.add(p);
  const writes = new Set(declared(permissions.fsWrite));
  writes.add(handoffBase());
  for (const w of writes) reads.add(w);
  return [
    '--permission',
    ...[...reads].map((p) => `--allow-fs-read=${p}`),
    ...[...writes].map((p) => `--allow-fs-write=${p}`),
    ...(permissions.childProcess ? ['--allow-child-process'] : []),
    ...(permissions.workerThreads ? ['--allow-worker'] : []),
    ...(permissions.addons ? ['--allow-addons'] : []),
  ];
}
