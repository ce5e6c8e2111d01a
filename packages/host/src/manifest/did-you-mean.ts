/**
 * The known name an unknown one was probably meant to be, for "unknown field" messages.
 * @module
 */

// Names from other formats (package.json, other plugin systems, other tools' plugin lists) that a
// typo distance would never link to ours. Each lists its meanings, likeliest first, and the first
// that is a candidate wins: so `dir` is `source` in plugins.yaml and `env` in a manifest (no `source`).
const ALIASES: Record<string, readonly string[]> = {
  main: ['entry'],
  module: ['entry'],
  cwd: ['env'],
  dir: ['source', 'env'],
  directory: ['source'],
  path: ['source'],
  package: ['source'],
  pkg: ['source'],
  from: ['source'],
  src: ['source'],
  spec: ['source'],
  url: ['source'],
};

/**
 * The candidate closest to `word`: the same but for case, one that starts the other
 * (`entrypoint` → `entry`), an alias (`main` → `entry`, `path` → `source`), or one within a small
 * edit distance (a third of the word's length, rounded up, at most 3).
 *
 * @example
 * didYouMean('entrypoint', ['name', 'entry']) // 'entry'
 * didYouMean('gpuMemoryMb', ['memoryMB', 'gpuMemoryMB']) // 'gpuMemoryMB'
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const alias = ALIASES[lower]?.find((a) => candidates.includes(a));
  if (alias !== undefined) return alias;
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    let score: number;
    if (c === lower) score = 0;
    // Prefer the longest such candidate: `configSchemas` is `configSchema`, not `config`.
    else if (Math.min(c.length, lower.length) >= 3 && (lower.startsWith(c) || c.startsWith(lower))) {
      score = 0.5 + Math.abs(c.length - lower.length) / 1000;
    } else {
      const d = distance(lower, c);
      score = d <= Math.min(3, Math.ceil(word.length / 3)) ? d : Number.POSITIVE_INFINITY;
    }
    if (score < bestScore) [best, bestScore] = [candidate, score];
  }
  return best;
}

/** Levenshtein distance, with a transposition counted as one edit. */
function distance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
