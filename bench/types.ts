/**
 * The shape every benchmark has. A benchmark measures Bulkhead and its floor in one go and returns
 * flat, numeric results keyed by their JSON names; its metrics say how to show and judge them.
 * @module
 */

/** What a metric must reach: relative to a floor measured in the same run, or an absolute value. */
export type Target = { vsFloor: number } | { value: number };

export interface Metric {
  /** JSON key of the Bulkhead result, e.g. `rtt_p50_us`. */
  key: string;
  label: string;
  /** Unit shown in the table, e.g. `µs`, `calls/s`. */
  unit: string;
  better: 'lower' | 'higher';
  /** JSON key of the floor result this is compared with, if any. */
  floor?: string;
  target?: Target;
  /** How to read the number (conventions), printed under the table and put in the JSON. */
  note?: string;
}

export interface Benchmark {
  /** Name for `--only`. */
  name: string;
  metrics: Metric[];
  /** Returns every metric key and floor key it measured. */
  run(): Promise<Record<string, number>>;
}
