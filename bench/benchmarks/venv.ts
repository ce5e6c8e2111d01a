/**
 * `bulkhead install` of one Python plugin with one small dependency (idna) into a fresh venv: with
 * uv, and with python -m venv + pip. Real PyPI; skipped with a notice when the install fails.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installPlugins, readPluginsFile } from 'bulkhead/install';
import { repoPath } from '../paths.js';
import type { Benchmark } from '../types.js';

async function installOnce(env: NodeJS.ProcessEnv): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'bulkhead-bench-venv-'));
  try {
    const yaml = join(dir, 'plugins.yaml');
    const plugin = repoPath('test', 'fixtures', 'python', 'noop.py');
    writeFileSync(
      yaml,
      `version: 1\nplugins:\n  - { runtime: python, source: ${JSON.stringify(plugin)}, requirements: ["idna>=3,<4"] }\n`,
    );
    const t0 = performance.now();
    const report = await installPlugins(await readPluginsFile(yaml), { home: join(dir, 'home'), env });
    const s = (performance.now() - t0) / 1000;
    const [only] = report.plugins;
    if (only?.status !== 'installed') throw new Error(only?.status === 'failed' ? only.error.message : 'not installed');
    return s;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const venv: Benchmark = {
  name: 'venv',
  metrics: [
    {
      key: 'venv_install_s',
      label: 'install a Python plugin + 1 dependency (uv)',
      unit: 's',
      better: 'lower',
      note: 'fresh venv each time; uv and pip caches warm (one install first); real PyPI',
    },
    { key: 'venv_install_pip_s', label: 'the same without uv (python -m venv + pip)', unit: 's', better: 'lower' },
  ],
  async run() {
    const out: Record<string, number> = {};
    try {
      if (process.env.BULKHEAD_UV !== '0') {
        await installOnce(process.env);
        out.venv_install_s = await installOnce(process.env);
      }
    } catch (e) {
      process.stderr.write(`(uv install skipped: ${(e as Error).message.split('\n')[0]}) `);
    }
    try {
      const env = { ...process.env, BULKHEAD_UV: '0' };
      out.venv_install_pip_s = await installOnce(env);
    } catch (e) {
      process.stderr.write(`(pip install skipped: ${(e as Error).message.split('\n')[0]}) `);
    }
    return out;
  },
};
