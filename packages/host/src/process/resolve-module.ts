/**
 * The file a plugin entry names, found the way Node finds a CommonJS module: the path itself,
 * then with `.js`, `.cjs`, `.mjs` (and `.ts`, `.mts`, `.cts`, for TypeScript plugins run from
 * source), then as a directory: its package.json `main`, then `index` with those extensions. So
 * `"main": "index"` and `"main": "lib"` (a directory holding index.js) work as they do in Node.
 * @module
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts', '.mts', '.cts'];

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The module file `path` resolves to, or undefined if there is none. */
export function resolveModuleFile(path: string, depth = 0): string | undefined {
  if (isFile(path)) return path;
  for (const ext of EXTENSIONS) if (isFile(path + ext)) return path + ext;
  if (!isDirectory(path) || depth > 4) return undefined;
  try {
    const { main } = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { main?: unknown };
    if (typeof main === 'string' && main !== '') {
      const found = resolveModuleFile(join(path, main), depth + 1);
      if (found !== undefined) return found;
    }
  } catch {
    // no package.json, or not JSON: Node goes on to index too
  }
  for (const ext of EXTENSIONS) if (isFile(join(path, `index${ext}`))) return join(path, `index${ext}`);
  return undefined;
}
