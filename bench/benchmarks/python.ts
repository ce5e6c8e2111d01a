/**
 * The Python worker next to the Node worker, in one run: no-op round trip, pipelined calls, cold
 * start against a bare interpreter's, and 64 MiB in and out against the pipe floor.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installPlugins, readPluginsFile } from 'bulkhead/install';
import { NOOP_INPUT, pipelined, startFixture, warmUp } from '../bulkhead.js';
import { echoBytes, openEchoPeer } from '../floor/echo.js';
import { PY_NOOP, pythonFloorStartMs, realPython, startPython } from '../python.js';
import { median, percentile } from '../stats.js';
import { alternate, timeEach, timeMs } from '../timing.js';
import type { Benchmark } from '../types.js';

/** The noop plugin installed into a venv of its own, as `bulkhead install` does it. */
async function installedNoop(): Promise<{ python: string; plugin: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bulkhead-bench-pystart-'));
  const yaml = join(dir, 'plugins.yaml');
  writeFileSync(yaml, `version: 1\nplugins:\n  - { runtime: python, source: ${JSON.stringify(PY_NOOP)} }\n`);
  const home = join(dir, 'home');
  const report = await installPlugins(await readPluginsFile(yaml), { home });
  const [only] = report.plugins;
  if (only?.status !== 'installed') throw new Error(only?.status === 'failed' ? only.error.message : 'not installed');
  const pluginDir = join(home, 'plugins', 'noop');
  return {
    python: join(pluginDir, 'venv', 'bin', 'python'),
    plugin: join(pluginDir, 'plugin', 'noop.py'),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

const ROUNDS = 6;
const PER_ROUND = 1000;
const START_ROUNDS = 15;
const BYTES = 64 * 1024 * 1024;
const MB_PER_CALL = (2 * BYTES) / 1e6;

export const python: Benchmark = {
  name: 'python',
  metrics: [
    {
      key: 'py_rtt_p50_us',
      label: 'Python worker no-op RTT p50',
      unit: 'µs',
      better: 'lower',
      floor: 'py_node_rtt_p50_us',
      target: { vsFloor: 2 },
      note: 'floor here: the Node worker (rtt_p50_us), measured alternately in the same benchmark',
    },
    {
      key: 'py_pipelined_calls_per_s',
      label: 'Python worker pipelined no-op calls (256 in flight)',
      unit: 'calls/s',
      better: 'higher',
      target: { value: 30_000 },
    },
    {
      key: 'py_cold_start_ms',
      label: 'Python worker cold start to first execute',
      unit: 'ms',
      better: 'lower',
      floor: 'py_floor_start_ms',
      target: { vsFloor: 1.25 },
      note: `median of ${START_ROUNDS}; the noop plugin installed in its own venv by bulkhead install; floor: bare python -c (that venv's interpreter) that opens fd 3 and sends one message`,
    },
    {
      key: 'py_binary_64mib_mb_per_s',
      label: 'Python worker 64 MiB in + out',
      unit: 'MB/s',
      better: 'higher',
      floor: 'py_floor_pipe_mb_per_s',
      target: { vsFloor: 0.5 },
      note: 'MB = 10^6 bytes, both directions; floor: 64 MiB length-prefixed echo over fd 3 (Node child)',
    },
  ],
  async run() {
    const py = realPython();
    if ('skip' in py) {
      process.stderr.write(`(skipped: ${py.skip}) `);
      return {};
    }
    const out: Record<string, number> = {};
    const p = await startPython(py.path, PY_NOOP, { handoffBytes: false });
    const n = await startFixture('noop');
    try {
      await warmUp(p, 2000);
      await warmUp(n, 2000);
      const [a, b] = await alternate(
        ROUNDS,
        () => timeEach(PER_ROUND, () => p.execute(NOOP_INPUT)),
        () => timeEach(PER_ROUND, () => n.execute(NOOP_INPUT)),
      );
      out.py_rtt_p50_us = percentile(a.flat(), 0.5) / 1000;
      out.py_node_rtt_p50_us = percentile(b.flat(), 0.5) / 1000;
      await pipelined(p, 5000, 256);
      const rates: number[] = [];
      for (let r = 0; r < 5; r++) rates.push(await pipelined(p, 20_000, 256));
      out.py_pipelined_calls_per_s = median(rates);
      const data = new Uint8Array(BYTES);
      for (let i = 0; i < BYTES; i += 4096) data[i] = i & 0xff;
      const peer = await openEchoPeer();
      try {
        const [x, y] = await alternate(
          5,
          () => timeMs(() => p.execute(data)),
          () => timeMs(() => echoBytes(peer, data)),
        );
        out.py_binary_64mib_mb_per_s = MB_PER_CALL / (median(x) / 1000);
        out.py_floor_pipe_mb_per_s = MB_PER_CALL / (median(y) / 1000);
      } finally {
        await peer.close();
      }
    } finally {
      await Promise.all([p.stop(), n.stop()]);
    }
    // Cold start as users get it: the plugin installed by `bulkhead install` into its own venv (the
    // SDK and plugin byte-compiled there); the floor runs that venv's interpreter too.
    const installed = await installedNoop().catch((e: Error) => {
      process.stderr.write(`(cold start on the machine's python: install failed: ${e.message.split('\n')[0]}) `);
      return { python: py.path, plugin: PY_NOOP, dispose: async () => {} };
    });
    const start = async () => {
      const t0 = performance.now();
      const proc = await startPython(installed.python, installed.plugin);
      await proc.execute(NOOP_INPUT);
      const ms = performance.now() - t0;
      await proc.stop();
      return ms;
    };
    try {
      await start();
      await pythonFloorStartMs(installed.python);
      const [s, f] = await alternate(START_ROUNDS, start, () => pythonFloorStartMs(installed.python));
      out.py_cold_start_ms = median(s);
      out.py_floor_start_ms = median(f);
    } finally {
      await installed.dispose();
    }
    return out;
  },
};
