/**
 * Where the compiled pieces live. Benchmarks run from build/bench; fixture plugins are compiled by
 * the test project into build/test.
 * @module
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** build/bench. */
export const here = dirname(fileURLToPath(import.meta.url));

/** Path of a compiled fixture plugin, e.g. fixture('noop'). */
export function fixture(name: string): string {
  return join(here, '..', 'test', 'fixtures', 'plugins', `${name}.js`);
}

/** Path of a compiled floor child script, e.g. floorScript('echo-child'). */
export function floorScript(name: string): string {
  return join(here, 'floor', `${name}.js`);
}

/** Path of a file in the repository (two levels above build/bench), e.g. repoPath('examples'). */
export function repoPath(...parts: string[]): string {
  return join(here, '..', '..', ...parts);
}
