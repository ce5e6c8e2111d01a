/**
 * Plugin discovery: where to look (`searchPaths`), and finding every manifest there (`discover`),
 * keeping one plugin per name and reporting the rest, so that one bad or duplicate manifest never
 * hides the others.
 * @module
 */
import { type Dirent, readFile as readFileCallback } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { isBulkheadError } from '@bulkhead/sdk/errors';
import { bulkheadHome } from '../util/home.js';
import { compareVersions } from '../util/version-order.js';
import { type DiscoveredPlugin, MANIFEST_FILE, parseManifest } from './manifest.js';

/** A manifest that could not be used (or a search path that could not be read). */
export interface DiscoveryError {
  file: string;
  /** JSON pointer of the offending field, when one is to blame. */
  field?: string;
  message: string;
  code: 'ERR_MANIFEST_INVALID';
}

/** A valid manifest that lost to another of the same name. */
export interface ShadowedPlugin {
  name: string;
  manifestPath: string;
  /** The winner's manifest path. */
  shadowedBy: string;
}

export interface DiscoveryResult {
  /** One per name, sorted by name. */
  plugins: DiscoveredPlugin[];
  /** The same plugins by `manifest.category`, each list sorted by name (a null-prototype object). */
  byCategory: Record<string, DiscoveredPlugin[]>;
  /** Sorted by file. */
  errors: DiscoveryError[];
  shadowed: ShadowedPlugin[];
  /** The search paths, resolved and deduplicated, in the order they rank. */
  searchPaths: string[];
}

/**
 * Where plugins are looked for, highest rank first: `option` (the manager's `pluginPaths`), then
 * `BULKHEAD_PLUGIN_PATH` (split on `path.delimiter`), then `<Bulkhead home>/plugins`. Resolved
 * against the cwd and deduplicated, keeping the first place of each.
 *
 * @example
 * searchPaths(['./plugins'], { BULKHEAD_PLUGIN_PATH: '/opt/a:/opt/b', BULKHEAD_HOME: '/srv/bh' })
 * // ['<cwd>/plugins', '/opt/a', '/opt/b', '/srv/bh/plugins']
 */
export function searchPaths(option?: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  // Empty entries are dropped: in PATH an empty entry means the cwd, which is never a place a user
  // meant to install plugins (a stray ":" at the end of the variable is the usual cause).
  const fromEnv = (env.BULKHEAD_PLUGIN_PATH ?? '').split(delimiter);
  const all = [...(option ?? []), ...fromEnv, join(bulkheadHome(env), 'plugins')];
  return unique(all.filter((p) => p !== '').map((p) => resolve(p)));
}

// Not fs/promises' readFile, which takes twice as long for small files (see manifest.ts).
const readFile = promisify(readFileCallback);

/** How many manifests are read at once: enough to keep libuv's threads busy, few enough for any fd limit. */
const CONCURRENCY = 64;

interface Candidate {
  manifestPath: string;
  /** Rank of its search path. */
  root: number;
}

/**
 * Finds the plugins in `paths`: `<path>/bulkhead-plugin.json` and `<path>/<dir>/bulkhead-plugin.json`
 * for every immediate subdirectory (or link to one) not starting with ".". A search path that does
 * not exist is skipped; a manifest that is invalid goes to `errors` and the rest load regardless.
 *
 * One plugin per name, chosen like a command on PATH:
 * 1. the first search path that has the name wins, whatever the versions elsewhere (so a path
 *    given first, such as a development checkout, overrides an installed copy);
 * 2. within one search path, the highest version wins (semver: numeric major.minor.patch, a
 *    prerelease below its release; see compareVersions);
 * 3. on equal versions, the first manifest path wins: the search path's own manifest, then its
 *    subdirectories in name order.
 * Every loser is listed in `shadowed` with the winner's path. An invalid manifest shadows nothing.
 *
 * @example
 * const found = await discover(searchPaths(options.pluginPaths));
 * for (const e of found.errors) console.warn(e.message);
 * found.byCategory.vision?.map((p) => p.manifest.name);
 */
export async function discover(paths: string[]): Promise<DiscoveryResult> {
  const roots = unique(paths.filter((p) => p !== '').map((p) => resolve(p)));
  const errors: DiscoveryError[] = [];
  const listed = await Promise.all(roots.map((root, rank) => candidatesIn(root, rank, errors)));

  // A search path inside another (…/plugins and …/plugins/ocr) finds some manifests twice; the
  // higher-ranked sighting is kept, and a plugin never shadows itself.
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  for (const c of listed.flat()) {
    if (seen.has(c.manifestPath)) continue;
    seen.add(c.manifestPath);
    candidates.push(c);
  }

  const found: Found[] = [];
  await forEachLimit(candidates, CONCURRENCY, async (c, order) => {
    const plugin = await load(c, roots[c.root]!, errors);
    if (plugin !== undefined) found.push({ plugin, root: c.root, order });
  });
  const { plugins, shadowed } = chooseWinners(found);
  errors.sort((a, b) => compareStrings(a.file, b.file));

  // Null prototype: a category is user text, and "__proto__" or "constructor" must be plain keys.
  const byCategory: Record<string, DiscoveredPlugin[]> = Object.create(null);
  for (const category of unique(plugins.map((p) => p.manifest.category)).sort(compareStrings)) {
    byCategory[category] = [];
  }
  for (const p of plugins) byCategory[p.manifest.category]!.push(p);
  return { plugins, byCategory, errors, shadowed, searchPaths: roots };
}

interface Found {
  plugin: DiscoveredPlugin;
  /** Rank of its search path. */
  root: number;
  /** Its place among all candidates (search path rank, then path order). */
  order: number;
}

/** One plugin per name by the rules in {@link discover}'s comment; the others are shadowed. */
function chooseWinners(found: Found[]): { plugins: DiscoveredPlugin[]; shadowed: ShadowedPlugin[] } {
  const byName = new Map<string, Found[]>();
  for (const f of found) {
    const list = byName.get(f.plugin.manifest.name);
    if (list === undefined) byName.set(f.plugin.manifest.name, [f]);
    else list.push(f);
  }
  const plugins: DiscoveredPlugin[] = [];
  const shadowed: ShadowedPlugin[] = [];
  for (const [name, list] of byName) {
    list.sort(
      (a, b) =>
        a.root - b.root || compareVersions(b.plugin.manifest.version, a.plugin.manifest.version) || a.order - b.order,
    );
    const [winner, ...losers] = list;
    plugins.push(winner!.plugin);
    for (const l of losers) {
      shadowed.push({ name, manifestPath: l.plugin.manifestPath, shadowedBy: winner!.plugin.manifestPath });
    }
  }
  plugins.sort((a, b) => compareStrings(a.manifest.name, b.manifest.name));
  shadowed.sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.manifestPath, b.manifestPath));
  return { plugins, shadowed };
}

/** The manifest paths a search path may hold, in rank order; no file is opened yet. */
async function candidatesIn(root: string, rank: number, errors: DiscoveryError[]): Promise<Candidate[]> {
  let entries: Dirent[];
  try {
    // Dirent types come with the listing, so nothing is stat'ed to tell directories from files.
    entries = await readdir(root, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A search path that does not exist yet (a fresh home, an unset-up dev path) is normal.
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      errors.push({ file: root, message: `${root}: cannot read search path (${code})`, code: 'ERR_MANIFEST_INVALID' });
    }
    return [];
  }
  const own: Candidate[] = [];
  const subdirs: string[] = [];
  for (const entry of entries) {
    const link = entry.isSymbolicLink();
    if (entry.name === MANIFEST_FILE && (entry.isFile() || link))
      own.push({ manifestPath: join(root, entry.name), root: rank });
    // Dot-directories are skipped: .git, caches, and the staging directory of an install still in
    // progress (installers write there, then rename), which must not be seen half-written.
    else if ((entry.isDirectory() || link) && !entry.name.startsWith('.')) subdirs.push(entry.name);
  }
  subdirs.sort(compareStrings);
  return [...own, ...subdirs.map((d) => ({ manifestPath: join(root, d, MANIFEST_FILE), root: rank }))];
}

/** Reads and parses one candidate; undefined if there is no manifest there or it is invalid. */
async function load(c: Candidate, root: string, errors: DiscoveryError[]): Promise<DiscoveredPlugin | undefined> {
  let text: string;
  try {
    text = await readFile(c.manifestPath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Most subdirectories of a search path hold no manifest; trying to open it is the cheapest test.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    const message = `${c.manifestPath}: cannot be read (${code ?? (e as Error).message})`;
    errors.push({ file: c.manifestPath, message, code: 'ERR_MANIFEST_INVALID' });
    return undefined;
  }
  try {
    const plugin = await parseManifest(c.manifestPath, text);
    plugin.searchPath = root;
    return plugin;
  } catch (e) {
    if (!isBulkheadError(e, 'ERR_MANIFEST_INVALID')) throw e;
    const error: DiscoveryError = { file: e.data.file, message: e.message, code: 'ERR_MANIFEST_INVALID' };
    if (e.data.field !== undefined) error.field = e.data.field;
    errors.push(error);
    return undefined;
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

// Code-unit order, not localeCompare: the same on every machine whatever its locale.
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
