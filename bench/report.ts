/**
 * Turns results into the human table and the one JSON object. Both are derived from the metrics'
 * declarations, so a new benchmark shows up in both without touching this file.
 * @module
 */
import { cpus, release } from 'node:os';
import { round } from './stats.js';
import type { Metric } from './types.js';

export type Results = Record<string, number>;

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  os: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    os: `${process.platform} ${release()} ${process.arch}`,
  };
}

export interface Check {
  /** Bulkhead ÷ floor, or Bulkhead ÷ absolute target. */
  ratio: number;
  /** What the ratio is relative to. */
  of: 'floor' | 'target';
  /** Human form of the target, e.g. `<= 1.5x floor`. */
  target: string;
  pass: boolean | null;
}

/** Ratio and verdict for one metric; null when it was not measured. */
export function check(metric: Metric, results: Results): Check | null {
  const value = results[metric.key];
  if (value === undefined) return null;
  const op = metric.better === 'lower' ? '<=' : '>=';
  const within = (ratio: number, limit: number) => (metric.better === 'lower' ? ratio <= limit : ratio >= limit);
  const t = metric.target;
  if (t !== undefined && 'value' in t) {
    const ratio = value / t.value;
    return { ratio, of: 'target', target: `${op} ${fmt(t.value)} ${metric.unit}`, pass: within(ratio, 1) };
  }
  const floor = metric.floor === undefined ? undefined : results[metric.floor];
  if (floor === undefined) return null;
  const ratio = value / floor;
  if (t === undefined) return { ratio, of: 'floor', target: '-', pass: null };
  return { ratio, of: 'floor', target: `${op} ${t.vsFloor}x floor`, pass: within(ratio, t.vsFloor) };
}

function fmt(n: number | undefined): string {
  if (n === undefined) return '-';
  if (!Number.isFinite(n)) return String(n);
  return round(n).toLocaleString('en-US');
}

export function table(metrics: readonly Metric[], results: Results, m: Machine, elapsedS: number): string {
  const head = ['metric', 'bulkhead', 'floor', 'unit', 'ratio', 'target', 'ok'];
  const rows = metrics.map((metric) => {
    const c = check(metric, results);
    return [
      metric.label,
      fmt(results[metric.key]),
      fmt(metric.floor === undefined ? undefined : results[metric.floor]),
      metric.unit,
      c === null ? '-' : `${c.ratio.toFixed(2)}x ${c.of}`,
      c?.target ?? '-',
      c?.pass == null ? '' : c.pass ? 'yes' : 'NO',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  // Numbers right-aligned, text left-aligned.
  const right = new Set([1, 2, 4]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const checks = metrics.map((metric) => check(metric, results)).filter((c) => c?.pass != null);
  const met = checks.filter((c) => c?.pass).length;
  const out = [
    `machine: ${m.cpu}, ${m.cores} cores, node ${m.node}, ${m.os}`,
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `targets met: ${met}/${checks.length}   (${elapsedS.toFixed(1)} s)`,
  ];
  const notes = metrics.filter((metric) => metric.note !== undefined && results[metric.key] !== undefined);
  if (notes.length > 0) out.push('', 'notes:', ...notes.map((metric) => `  ${metric.key}: ${metric.note}`));
  return out.join('\n');
}

/**
 * The JSON report: every measured key at top level as a number (so consumers read `json.rtt_p50_us`
 * and later keys add without a schema change), plus `machine`, `checks`, `notes`, `elapsed_s`.
 */
export function json(
  metrics: readonly Metric[],
  results: Results,
  m: Machine,
  elapsedS: number,
  errors: Record<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(results)) out[k] = round(v);
  const checks: Record<string, Check> = {};
  const notes: Record<string, string> = {};
  for (const metric of metrics) {
    const c = check(metric, results);
    if (c !== null) checks[metric.key] = { ...c, ratio: round(c.ratio) };
    if (metric.note !== undefined && results[metric.key] !== undefined) notes[metric.key] = metric.note;
  }
  out.machine = m;
  out.checks = checks;
  out.notes = notes;
  out.elapsed_s = round(elapsedS);
  if (Object.keys(errors).length > 0) out.errors = errors;
  return out;
}
