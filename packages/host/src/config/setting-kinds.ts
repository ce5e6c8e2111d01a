/**
 * How a host setting's value is written in config.yaml, an environment variable or a flag, and
 * read back: durations as `30s`/`10m`/`7d` (or whole milliseconds), sizes as `500MB` (or bytes).
 * @module
 */

/** A setting's value kind: parses what a person wrote, or says what it must be. */
export interface SettingKind {
  /** The value, or a string: the words after "must be", e.g. "a duration like 30s or 10m". */
  parse(raw: unknown): { value: unknown } | { expected: string };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

function unitParser(units: Record<string, number>, expected: string): SettingKind {
  return {
    parse(raw) {
      if (typeof raw === 'number') return Number.isSafeInteger(raw) && raw >= 0 ? { value: raw } : { expected };
      if (typeof raw !== 'string') return { expected };
      const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
      const unit = m?.[2]?.toLowerCase() || Object.keys(units)[0]!;
      const factor = units[unit];
      if (m === null || factor === undefined) return { expected };
      return { value: Math.round(Number(m[1]) * factor) };
    },
  };
}

/** Milliseconds: `1500`, `30s`, `10m`, `2h`, `7d`. */
export const duration: SettingKind = unitParser(DURATION_UNITS, 'a duration like 30s, 10m or 7d (or milliseconds)');

/** Bytes: `1048576`, `512KB`, `500MB`, `2GB` (powers of 1024). */
export const size: SettingKind = unitParser(SIZE_UNITS, 'a size like 512KB, 500MB or 2GB (or bytes)');

/** A whole number at least `min`; a string of digits (from an environment variable) reads as one. */
export function count(min = 0): SettingKind {
  const expected = min === 0 ? 'a whole number ≥ 0' : `a whole number ≥ ${min}`;
  return {
    parse(raw) {
      const n = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
      return typeof n === 'number' && Number.isSafeInteger(n) && n >= min ? { value: n } : { expected };
    },
  };
}

/** One of a few words. */
export function oneOf(words: readonly string[]): SettingKind {
  const expected = `one of ${words.join(', ')}`;
  return { parse: (raw) => (typeof raw === 'string' && words.includes(raw) ? { value: raw } : { expected }) };
}

/** A `redis://` or `rediss://` URL. */
export const redisUrl: SettingKind = {
  parse(raw) {
    const expected = 'a redis:// or rediss:// URL like redis://127.0.0.1:6379';
    if (typeof raw !== 'string') return { expected };
    try {
      const u = new URL(raw);
      return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '' ? { value: raw } : { expected };
    } catch {
      return { expected };
    }
  },
};

/** `1500` → `1.5s`, for showing durations back the way they are written. */
export function formatDuration(ms: number): string {
  for (const [unit, factor] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= factor && ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}
