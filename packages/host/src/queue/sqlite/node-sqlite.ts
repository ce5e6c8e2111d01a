/**
 * `node:sqlite`, loaded on first use, without the one warning Node 22 prints for it.
 *
 * Node 22 emits "ExperimentalWarning: SQLite is an experimental feature…" once, synchronously,
 * when the module first loads (Node 24 does not). A host or a `bulkhead` command would print it on
 * every start, so it is dropped, and only it: `process.emitWarning` is wrapped for the length of
 * the load alone, and every other warning passes through. That is also why this is loaded with
 * `process.getBuiltinModule` rather than imported: a static `import 'node:sqlite'` would load (and
 * warn) while the module graph links, before any code of ours could run.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';

type NodeSqlite = typeof import('node:sqlite');

let loaded: NodeSqlite | undefined;

/** The oldest Node whose `node:sqlite` the store relies on (unflagged, and the `engines` floor). */
export const MIN_NODE = '22.13';

/** `node:sqlite`, or ERR_NODE_UNSUPPORTED on a Node that lacks it (20 and older). */
export function nodeSqlite(): NodeSqlite {
  if (loaded !== undefined) return loaded;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    if (isSqliteWarning(warning, rest[0])) return;
    return Reflect.apply(emitWarning, process, [warning, ...rest]);
  } as typeof process.emitWarning;
  try {
    // getBuiltinModule answers undefined for a module this Node does not have.
    loaded = process.getBuiltinModule?.('node:sqlite') as NodeSqlite | undefined;
  } catch {
    loaded = undefined;
  } finally {
    process.emitWarning = emitWarning;
  }
  if (loaded === undefined) {
    throw new BulkheadError(
      'ERR_NODE_UNSUPPORTED',
      `the job store needs node:sqlite, built into Node.js ${MIN_NODE} and later, and this is Node ${process.versions.node}; ` +
        'install Node 24 LTS (https://nodejs.org) and run Bulkhead with it',
      { node: process.versions.node, needed: `>=${MIN_NODE}` },
    );
  }
  return loaded;
}

function isSqliteWarning(warning: string | Error, typeOrOptions: unknown): boolean {
  const message = typeof warning === 'string' ? warning : warning?.message;
  const type =
    typeof warning !== 'string'
      ? warning?.name
      : typeof typeOrOptions === 'string'
        ? typeOrOptions
        : (typeOrOptions as { type?: unknown } | undefined)?.type;
  return type === 'ExperimentalWarning' && /^SQLite is an experimental feature/.test(message ?? '');
}
