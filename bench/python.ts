/**
 * The Python side of the benchmarks: the machine's real interpreter (not a pyenv shim, which adds
 * ~100 ms of bash to every start), the Python worker on a plugin, and the bare-Python floor.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { PluginProcess } from 'bulkhead';
import { repoPath } from './paths.js';

/** The interpreter itself, or null (with why) when there is no usable python3. */
export function realPython(): { path: string } | { skip: string } {
  const r = spawnSync('python3', ['-c', 'import sys;print(sys.version_info>=(3,10));print(sys.executable)'], {
    encoding: 'utf8',
  });
  const [ok, path] = (r.stdout ?? '').trim().split('\n');
  if (r.error || ok !== 'True' || !path) return { skip: 'no python3 3.10+ on PATH' };
  return { path };
}

export function startPython(python: string, plugin: string, extra: object = {}): Promise<PluginProcess> {
  return PluginProcess.start({ runtime: 'python', python, plugin, ...extra });
}

export const PY_NOOP = repoPath('test', 'fixtures', 'python', 'noop.py');
export const PY_BENCH = repoPath('bench', 'python', 'bench_plugin.py');

/** The floor: bare `python -c` that opens fd 3 and sends one frame; spawn to frame received, in ms. */
const HELLO =
  'import os;h=b\'{"method":"$/hello","params":{}}\';os.write(3,(len(h)+4).to_bytes(4,"big")+len(h).to_bytes(4,"big")+h);os.read(3,1)';

export function pythonFloorStartMs(python: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(python, ['-c', HELLO], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], detached: true });
  const socket = child.stdio[3] as unknown as Socket;
  return new Promise((resolve, reject) => {
    let got = 0;
    const timer = setTimeout(() => reject(new Error('python floor did not answer in 30 s')), 30_000);
    socket.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= 8) {
        const ms = performance.now() - t0;
        clearTimeout(timer);
        child.kill('SIGKILL');
        socket.destroy();
        resolve(ms);
      }
    });
    child.once('error', reject);
  });
}
