/**
 * `npm run bench [-- --only rtt,binary]`: measures Bulkhead and the floor (the same work done by two
 * bare Node processes over the same channel) side by side, in one run. Human table on stdout; with
 * --json, one JSON object on stdout and the table on stderr (use `npm run -s bench -- --json`, or
 * npm's own banners land on stdout too).
 * @module
 */
import { parseArgs } from 'node:util';
import { json, machine, type Results, table } from './report.js';
import { benchmarks } from './suite.js';

const USAGE = `usage: node build/bench/index.js [--json] [--only name,name]
benchmarks: ${benchmarks.map((b) => b.name).join(', ')}`;

function options(): { asJson: boolean; only: string[] | null } {
  try {
    const { values } = parseArgs({
      options: {
        json: { type: 'boolean', default: false },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const only =
      values.only === undefined
        ? null
        : values.only
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
    const unknown = only?.filter((n) => !benchmarks.some((b) => b.name === n)) ?? [];
    if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}`);
    return { asJson: values.json, only };
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const { asJson, only } = options();
  const selected = benchmarks.filter((b) => only === null || only.includes(b.name));
  const results: Results = {};
  const errors: Record<string, string> = {};
  const t0 = performance.now();
  for (const bench of selected) {
    const started = performance.now();
    process.stderr.write(`${bench.name} ... `);
    try {
      Object.assign(results, await bench.run());
      process.stderr.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    } catch (e) {
      // One broken benchmark must not hide the others' numbers.
      errors[bench.name] = (e as Error)?.stack ?? String(e);
      process.stderr.write(`failed: ${(e as Error)?.message ?? String(e)}\n`);
      process.exitCode = 1;
    }
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const metrics = selected.flatMap((b) => b.metrics);
  const m = machine();
  const text = table(metrics, results, m, elapsedS);
  if (asJson) {
    process.stderr.write(`\n${text}\n`);
    process.stdout.write(`${JSON.stringify(json(metrics, results, m, elapsedS, errors))}\n`);
  } else process.stdout.write(`${text}\n`);
}

await main();
