/**
 * Finds an installed plugin package and the module a worker should load from it.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';

/** Packages the installer adds to every environment itself; the rest is the plugin. */
export const SUPPORT_PACKAGES = new Set(['@bulkhead/sdk', 'node']);

interface PackageJson {
  name?: string;
  version?: string;
  main?: string;
  exports?: unknown;
  dependencies?: Record<string, string>;
  bulkhead?: { entry?: string };
}

export async function readPackageJson(dir: string): Promise<PackageJson> {
  return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** The plugin's package name: the environment's one dependency that the installer did not add. */
export async function installedPackageName(envDir: string, known?: string): Promise<string> {
  if (known !== undefined) return known;
  const deps = Object.keys((await readPackageJson(envDir)).dependencies ?? {}).filter((d) => !SUPPORT_PACKAGES.has(d));
  if (deps.length !== 1) {
    throw new BulkheadError(
      'ERR_INSTALL_FAILED',
      `cannot tell which installed package is the plugin (found ${deps.join(', ') || 'none'})`,
    );
  }
  return deps[0] as string;
}

/**
 * The module to load, relative to the package directory: `bulkhead.entry`, else the import (or
 * default) target of `exports["."]`, else `main`, else `index.js`.
 */
export function packageEntry(pkg: PackageJson): string {
  if (typeof pkg.bulkhead?.entry === 'string') return pkg.bulkhead.entry;
  const fromExports = exportTarget(pkg.exports);
  if (fromExports !== undefined) return fromExports;
  return pkg.main ?? 'index.js';
}

function exportTarget(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (typeof exports !== 'object' || exports === null || Array.isArray(exports)) return undefined;
  const map = exports as Record<string, unknown>;
  // Either a map of subpaths ({".": …}) or of conditions ({import: …}).
  const root = '.' in map ? map['.'] : map;
  if (typeof root === 'string') return root;
  if (typeof root !== 'object' || root === null) return undefined;
  const conditions = root as Record<string, unknown>;
  for (const c of ['import', 'node', 'default', 'require']) {
    const target = conditions[c];
    if (typeof target === 'string') return target;
    const nested = exportTarget(target);
    if (nested !== undefined) return nested;
  }
  return undefined;
}
