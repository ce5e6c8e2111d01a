/**
 * The Python interpreters on this machine, for a plugins.yaml entry's `python: "3.12"`: every
 * `python3`/`python3.N` on PATH, pyenv's versions, and the usual system places, each asked for its
 * own version and real path (a pyenv shim is a shell script; the interpreter behind it is what a
 * venv must be made from). Nothing is ever downloaded.
 * @module
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { compareVersions } from '../util/version-order.js';

export interface PythonInterpreter {
  /** `3.12.1` */
  version: string;
  /** `3.12` */
  minor: string;
  /** The interpreter itself (`sys.executable`, symlinks resolved). */
  path: string;
}

const ASK = 'import sys;print("%d.%d.%d" % sys.version_info[:3]);print(sys.executable)';

function ask(file: string, env: NodeJS.ProcessEnv): Promise<PythonInterpreter | null> {
  return new Promise((resolve) => {
    execFile(file, ['-c', ASK], { env, timeout: 15_000 }, (err, stdout) => {
      if (err) return resolve(null);
      const [version = '', exe = ''] = stdout.trim().split('\n');
      if (!/^3\.\d+\.\d+$/.test(version) || exe === '') return resolve(null);
      let path = exe;
      try {
        path = realpathSync(exe);
      } catch {
        // keep what it said
      }
      resolve({ version, minor: version.split('.').slice(0, 2).join('.'), path });
    });
  });
}

function candidates(env: NodeJS.ProcessEnv): string[] {
  const found = new Set<string>();
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const root = env.PYENV_ROOT ?? join(env.HOME ?? homedir(), '.pyenv');
  try {
    for (const v of readdirSync(join(root, 'versions'))) dirs.push(join(root, 'versions', v, 'bin'));
  } catch {
    // no pyenv
  }
  dirs.push('/usr/bin', '/usr/local/bin', '/opt/homebrew/bin');
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) if (/^python3(\.\d+)?$/.test(n)) found.add(join(dir, n));
  }
  return [...found].filter((f) => existsSync(f));
}

/** Every distinct Python 3 interpreter found, `python3` on PATH first, then by version. */
export async function findPythons(env: NodeJS.ProcessEnv = process.env): Promise<PythonInterpreter[]> {
  const asked = await Promise.all(['python3', ...candidates(env)].map((c) => ask(c, env)));
  const seen = new Map<string, PythonInterpreter>();
  for (const p of asked) if (p !== null && !seen.has(p.path)) seen.set(p.path, p);
  const [first, ...rest] = [...seen.values()];
  rest.sort((a, b) => compareVersions(b.version, a.version));
  return first === undefined ? [] : [first, ...rest];
}

/**
 * The interpreter for `wanted` (`"3.12"`, or undefined for `python3` on PATH). Throws
 * ERR_INSTALL_FAILED listing every interpreter found when none fits; Bulkhead never downloads one.
 */
export async function pickPython(
  wanted: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PythonInterpreter> {
  const found = await findPythons(env);
  const fit = wanted === undefined ? found[0] : found.find((p) => p.minor === wanted || p.version === wanted);
  if (fit !== undefined && compareVersions(fit.version, '3.10.0') >= 0) return fit;
  const list = found.length === 0 ? 'none' : found.map((p) => `${p.version} (${p.path})`).join(', ');
  const what = wanted === undefined ? 'a python3 (3.10 or newer)' : `Python ${wanted}`;
  throw new BulkheadError('ERR_INSTALL_FAILED', `${what} is not on this machine; found: ${list}`, {
    wanted: wanted ?? null,
    found: found.map((p) => ({ version: p.version, path: p.path })),
  });
}
