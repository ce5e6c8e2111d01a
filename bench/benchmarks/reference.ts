/**
 * The reference design's own worker (cjm-plugin-system 0.0.23: a FastAPI/uvicorn HTTP worker and
 * its RemotePluginProxy) on the same no-op plugin, in the same run, so the ratio to what users would
 * otherwise run is measured. Installed from PyPI into a venv; skipped with a notice when it does not
 * install (no network, no uv and no pip).
 * @module
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoPath } from '../paths.js';
import { realPython } from '../python.js';
import type { Benchmark } from '../types.js';

const run = promisify(execFile);
const VERSION = '0.0.23';

async function referenceVenv(python: string): Promise<string> {
  // Kept between runs: the install is the reference's, not what is measured.
  const dir = join(tmpdir(), `bulkhead-bench-cjm-${VERSION}`);
  const py = join(dir, 'bin', 'python');
  const ok =
    existsSync(py) &&
    (await run(py, ['-c', 'import cjm_plugin_system']).then(
      () => true,
      () => false,
    ));
  if (ok) return py;
  const uv = process.env.BULKHEAD_UV ?? 'uv';
  const opts = { timeout: 300_000, maxBuffer: 1 << 24 };
  try {
    await run(uv, ['venv', '--python', python, dir], opts);
    await run(uv, ['pip', 'install', '--python', py, `cjm-plugin-system==${VERSION}`], opts);
  } catch {
    await run(python, ['-m', 'venv', dir], opts);
    await run(py, ['-m', 'pip', 'install', '-q', `cjm-plugin-system==${VERSION}`], opts);
  }
  return py;
}

export const reference: Benchmark = {
  name: 'reference',
  metrics: [
    {
      key: 'ref_rtt_p50_us',
      label: `reference design (cjm-plugin-system ${VERSION}) no-op RTT p50`,
      unit: 'µs',
      better: 'lower',
      note: 'its RemotePluginProxy.execute() to its HTTP worker, as its users call it (compare py_rtt_p50_us)',
    },
    {
      key: 'ref_cold_start_ms',
      label: 'reference design cold start to first execute',
      unit: 'ms',
      better: 'lower',
      note: 'RemotePluginProxy(manifest) + initialize + one execute (compare py_cold_start_ms)',
    },
  ],
  async run(): Promise<Record<string, number>> {
    const py = realPython();
    if ('skip' in py) {
      process.stderr.write(`(skipped: ${py.skip}) `);
      return {};
    }
    let venvPython: string;
    try {
      venvPython = await referenceVenv(py.path);
    } catch (e) {
      process.stderr.write(
        `(skipped: cjm-plugin-system ${VERSION} did not install: ${(e as Error).message.split('\n')[0]}) `,
      );
      return {};
    }
    const { stdout } = await run(venvPython, [repoPath('bench', 'python', 'ref_bench.py'), '5', '200'], {
      timeout: 300_000,
    });
    return JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, number>;
  },
};
