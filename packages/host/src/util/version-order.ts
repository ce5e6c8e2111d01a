/**
 * The one order of versions (semver, by the `semver` package): a plugin's, to pick one of two
 * manifests of the same name; a Python interpreter's, to list the newest first.
 * @module
 */
import { coerce, compare, parse, type SemVer } from 'semver';

// Lenient on purpose: a manifest is hand-written, so a version that is merely terse ("1.2", "v1")
// still compares sensibly, as 1.2.0 and 1.0.0. Anything else that is not semver stays unordered.
const TERSE = /^v?\d+(\.\d+)?$/;

function versionOf(v: string): SemVer | null {
  return parse(v.trim(), { loose: true }) ?? (TERSE.test(v.trim()) ? coerce(v) : null);
}

/**
 * Negative if `a` is lower than `b`, positive if higher, 0 if equal, as semver orders them (a
 * prerelease below its release; build metadata ignored). A version that is not semver is lower
 * than any that is; two such versions are equal.
 *
 * @example
 * ['1.10.0', '1.9.0', '2.0.0-rc.1'].sort(compareVersions) // ['1.9.0', '1.10.0', '2.0.0-rc.1']
 */
export function compareVersions(a: string, b: string): number {
  const va = versionOf(a);
  const vb = versionOf(b);
  if (va === null || vb === null) return (va === null ? 0 : 1) - (vb === null ? 0 : 1);
  return compare(va, vb);
}
