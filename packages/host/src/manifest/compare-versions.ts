/**
 * Semver ordering of plugin versions, to pick one of two manifests with the same name.
 * @module
 */

interface Parsed {
  core: [number, number, number];
  pre: string[];
}

// Lenient on purpose: "v1.2" and "1.2" read as 1.2.0, since a manifest is hand-written and a
// version that is merely terse should still compare sensibly. Build metadata (+…) is ignored.
const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]*)?$/;

function parse(version: string): Parsed | undefined {
  const m = VERSION.exec(version.trim());
  if (m === null) return undefined;
  return { core: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)], pre: m[4]?.split('.') ?? [] };
}

/**
 * Negative if `a` is lower than `b`, positive if higher, 0 if equal: major, minor and patch
 * numerically; a prerelease is lower than its release (`1.0.0-beta.2` < `1.0.0`), and prereleases
 * compare by their dot-separated parts as semver says (numbers numerically, below words). A
 * version that is not semver is lower than any that is; two such versions are equal.
 *
 * @example
 * ['1.10.0', '1.9.0', '2.0.0-rc.1'].sort(compareVersions) // ['1.9.0', '1.10.0', '2.0.0-rc.1']
 */
export function compareVersions(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (pa === undefined || pb === undefined) return (pa === undefined ? 0 : 1) - (pb === undefined ? 0 : 1);
  for (let k = 0; k < 3; k++) {
    const d = pa.core[k]! - pb.core[k]!;
    if (d !== 0) return Math.sign(d);
  }
  if (pa.pre.length === 0 && pb.pre.length === 0) return 0;
  if (pa.pre.length === 0) return 1;
  if (pb.pre.length === 0) return -1;
  for (let k = 0; k < Math.max(pa.pre.length, pb.pre.length); k++) {
    const x = pa.pre[k];
    const y = pb.pre[k];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) return Math.sign(Number(x) - Number(y));
    if (xn !== yn) return xn ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}
