/**
 * What decides whether an installed plugin is still what plugins.yaml asks for: the entry's own
 * fields, the SDK it was installed with, and for local sources the bytes of the source itself, so
 * an edited plugin directory or a rebuilt tarball is reinstalled while an untouched one is skipped.
 * A registry range is compared as written: a newer release inside it needs `--force`.
 * @module
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { PythonSource } from './python-source.js';
import type { PluginSource } from './source.js';

/** Directories that are build or VCS state, not the package. */
const SKIP = new Set(['node_modules', '.git', '.hg', '.svn', '__pycache__', '.venv', 'build', '.eggs']);
/** Hashing stops being worth it past this; sizes and mtimes stand in for contents then. */
const MAX_HASHED_BYTES = 64 * 1024 * 1024;

export async function fingerprint(
  source: PluginSource | PythonSource,
  fields: unknown,
  sdkVersion: string,
  /** Further files whose bytes count (a requirements file). */
  files: string[] = [],
): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ spec: source.spec, kind: source.kind, fields, sdkVersion }));
  if (source.kind === 'tarball' || source.kind === 'python-file') hash.update(await readFile(source.spec));
  if (source.kind === 'directory' || source.kind === 'python-directory') await hashTree(source.spec, hash);
  for (const f of files) hash.update(await readFile(f).catch(() => Buffer.from(`missing ${f}`)));
  return hash.digest('hex');
}

async function hashTree(root: string, hash: ReturnType<typeof createHash>): Promise<void> {
  let budget = MAX_HASHED_BYTES;
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (SKIP.has(e.name)) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile()) {
        const bytes = await readFile(path);
        hash.update(relative(root, path));
        hash.update(budget > 0 ? bytes : String(bytes.length));
        budget -= bytes.length;
      }
    }
  };
  await walk(root);
}
