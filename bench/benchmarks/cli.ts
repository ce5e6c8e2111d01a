/**
 * `bulkhead run` end to end: the real CLI, in a process of its own, running a no-op plugin that the
 * real `bulkhead install` put into a temp home. Timed from spawn to exit, so it holds everything a
 * user waits for: Node's start, module loading, the job database, the worker's start, the job, and
 * shutdown. The floor is one worker's cold start as the cold-start benchmark measures it, in the
 * same run.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coldStart } from '../bulkhead.js';
import { floorStartMs } from '../floor/start.js';
import { repoPath } from '../paths.js';
import { median, percentile } from '../stats.js';
import { alternate } from '../timing.js';
import type { Benchmark } from '../types.js';

const WARMUP = 2;
const ROUNDS = 15;
const BIN = repoPath('packages', 'host', 'bin', 'bulkhead.js');

interface Exit {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `bulkhead ...args` from spawn to exit, in its own home. */
function bulkhead(home: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Exit> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BULKHEAD_HOME: home,
    npm_config_prefer_offline: 'true',
    ...extraEnv,
  };
  // An outer plugin path would add plugins that are not this home's.
  delete env.BULKHEAD_PLUGIN_PATH;
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    // 'exit', not 'close': the process is gone, whatever is left in the pipes is read after.
    child.on('exit', (code) => {
      const ms = performance.now() - t0;
      child.on('close', () => resolve({ ms, code, stdout, stderr }));
    });
  });
}

async function runNoop(home: string, prelaunch = true): Promise<number> {
  const r = await bulkhead(home, ['run', 'noop', '--input', '{"x":1}', '--json'], {
    BULKHEAD_PRELAUNCH: prelaunch ? '1' : '0',
  });
  const status = r.code === 0 ? (JSON.parse(r.stdout) as { status?: string }).status : undefined;
  if (status !== 'completed') throw new Error(`bulkhead run noop exited ${r.code}: ${r.stderr.trim()}`);
  return r.ms;
}

export const cli: Benchmark = {
  name: 'cli',
  metrics: [
    {
      key: 'cli_run_ms',
      label: '`bulkhead run` no-op, spawn to exit',
      unit: 'ms',
      better: 'lower',
      floor: 'cli_floor_cold_start_ms',
      target: { vsFloor: 2 },
      note: `median of ${ROUNDS} after ${WARMUP} warm-ups, a plugin installed by \`bulkhead install\`, no host running; floor: one worker's cold start (PluginProcess.start to first answer, as cold_start_ms), same run, alternating`,
    },
    {
      key: 'cli_run_p90_ms',
      label: '`bulkhead run` no-op p90',
      unit: 'ms',
      better: 'lower',
      floor: 'cli_floor_cold_start_ms',
    },
    {
      key: 'cli_run_no_prelaunch_ms',
      label: '`bulkhead run` no-op, worker not prelaunched',
      unit: 'ms',
      better: 'lower',
      floor: 'cli_floor_cold_start_ms',
      note: 'BULKHEAD_PRELAUNCH=0, same run, alternating with cli_run_ms: the worker spawns only once the CLI has loaded (what prelaunch saves)',
    },
    {
      key: 'cli_floor_node_start_ms',
      label: 'bare node start (context)',
      unit: 'ms',
      better: 'lower',
      note: 'as floor_node_start_ms, same run: what each of the two processes a `run` needs (CLI, worker) costs at least',
    },
  ],
  async run() {
    const root = mkdtempSync(join(tmpdir(), 'bulkhead-bench-cli-'));
    try {
      const home = join(root, 'home');
      const file = join(root, 'plugins.yaml');
      writeFileSync(
        file,
        `version: 1\nplugins:\n  - source: ${JSON.stringify(repoPath('examples', 'packages', 'noop'))}\n`,
      );
      const installed = await bulkhead(home, ['install', file, '--json']);
      if (installed.code !== 0)
        throw new Error(`bulkhead install exited ${installed.code}: ${installed.stderr.trim()}`);
      for (let i = 0; i < WARMUP; i++) await runNoop(home);
      await runNoop(home, false);
      await coldStart();
      await floorStartMs();
      let round = 0;
      const [runs, floors] = await alternate(
        ROUNDS,
        async () => {
          const first = round++ % 2 === 0;
          const a = first ? await runNoop(home) : await runNoop(home, false);
          const b = first ? await runNoop(home, false) : await runNoop(home);
          return first ? { on: a, off: b } : { on: b, off: a };
        },
        async () => ({ worker: await coldStart(), node: await floorStartMs() }),
      );
      const on = runs.map((r) => r.on);
      return {
        cli_run_ms: median(on),
        cli_run_p90_ms: percentile(on, 0.9),
        cli_run_no_prelaunch_ms: median(runs.map((r) => r.off)),
        cli_floor_cold_start_ms: median(floors.map((f) => f.worker)),
        cli_floor_node_start_ms: median(floors.map((f) => f.node)),
      };
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
};
