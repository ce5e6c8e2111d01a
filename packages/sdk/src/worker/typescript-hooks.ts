/**
 * Module hooks that let a worker load a plugin written in TypeScript with no build step: `.ts`,
 * `.mts` and `.cts` files are stripped of their types with Node's own `stripTypeScriptTypes`
 * (Node 22.13+ and 24), also under `node_modules`, where Node's built-in type stripping refuses
 * to run (an installed plugin lives there). Registered by the worker only for a `.ts` entry.
 *
 * As with Node's type stripping, only erasable syntax is supported (no `enum`, no `namespace`,
 * no parameter properties), and type-only imports must say so (`import type`, `import { type X }`).
 * @module
 */
import { readFile } from 'node:fs/promises';
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';

const TS = /\.(c|m)?ts$/;

// Node 22 warns that stripTypeScriptTypes is experimental at every worker start; the warning is
// about our loader, not the plugin, and would read in its log as something it did wrong.
const emitWarning = process.emitWarning;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(typeof warning === 'string' ? warning : warning?.message).includes('stripTypeScriptTypes')) return;
  (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
}) as typeof process.emitWarning;

type Strip = (code: string, options?: { mode?: 'strip' | 'transform'; sourceUrl?: string }) => string;

interface ResolveContext {
  parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string; format?: string | null }>;
type NextLoad = (url: string, context: object) => Promise<{ format: string; source?: unknown }>;

/** TypeScript sources import each other as `./util.js` (what the build would emit): find `./util.ts`. */
export async function resolve(specifier: string, context: ResolveContext, next: NextResolve) {
  try {
    return await next(specifier, context);
  } catch (e) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (!relative || !/\.(c|m)?js$/.test(specifier) || !context.parentURL || !TS.test(context.parentURL)) throw e;
    return next(specifier.replace(/js$/, 'ts'), context);
  }
}

export async function load(url: string, context: object, next: NextLoad) {
  if (!url.startsWith('file:') || !TS.test(url)) return next(url, context);
  const strip = (nodeModule as unknown as { stripTypeScriptTypes?: Strip }).stripTypeScriptTypes;
  if (typeof strip !== 'function') {
    throw new Error(
      `${fileURLToPath(url)} is TypeScript, which needs Node 22.13+ or 24 to run without a build step (this worker runs Node ${process.versions.node}): pin "node: 24" for the plugin in plugins.yaml, or build it to JavaScript`,
    );
  }
  const code = await readFile(new URL(url), 'utf8');
  const format = url.endsWith('.cts') ? 'commonjs' : 'module';
  return { format, source: strip(code, { mode: 'strip', sourceUrl: url }), shortCircuit: true };
}
