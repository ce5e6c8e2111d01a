/**
 * A Bulkhead home on a small disk of its own, for real: a tmpfs mounted in a private user and mount
 * namespace (`unshare --user --map-root-user --mount`, no privileges needed), which a script may
 * fill, or remount read-only, between the steps it runs.
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './cli-helpers.js';
import { tempDir } from './helpers.js';

/** The reason to skip where this machine gives no unprivileged mount namespace and tmpfs, else false. */
export const tmpfsSkip: string | false =
  spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs tmpfs /mnt'], {
    stdio: 'ignore',
  }).status === 0
    ? false
    : 'needs unshare --user --mount (user namespaces) to mount a tmpfs';

/** One step a script ran (`run STEP CMD…`): its exit status and output. */
export interface Step {
  step: string;
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `script` (sh) as root of a fresh namespace with $MNT a tmpfs of `size`, $HOME_DIR (also
 * BULKHEAD_HOME) inside it, $NODE and $BIN to run the CLI, $DIR a directory outside the tmpfs, and
 * `env` over the rest. In the script, `run STEP CMD…` records a step and `fill` fills the disk.
 */
export function onTmpfs(
  size: string,
  script: string,
  env: NodeJS.ProcessEnv = {},
): { steps: Map<string, Step>; dir: string } {
  const dir = tempDir('bulkhead-tmpfs-');
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  const wrapper = `
set -e
mount -t tmpfs -o size=${size} tmpfs "$MNT"
mkdir -p "$HOME_DIR"
run() {
  step=$1; shift
  set +e
  "$@" >"$DIR/$step.out" 2>"$DIR/$step.err"
  echo "$step $?" >>"$DIR/steps"
  set -e
}
fill() { dd if=/dev/zero of="$MNT/filler" bs=4096 2>/dev/null || true; }
${script}
`;
  // The outer plugin path would reach into the case's home; its plugins are the case's own.
  const { BULKHEAD_PLUGIN_PATH: _outer, ...outer } = process.env;
  const r = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', wrapper], {
    encoding: 'utf8',
    env: {
      ...outer,
      DIR: dir,
      MNT: mnt,
      HOME_DIR: join(mnt, 'home'),
      BULKHEAD_HOME: join(mnt, 'home'),
      NODE: process.execPath,
      BIN,
      npm_config_prefer_offline: 'true',
      ...env,
    },
    timeout: 300_000,
  });
  assert.equal(r.status, 0, `the namespace's script failed (unshare worked a moment ago): ${r.error ?? r.stderr}`);
  const steps = new Map<string, Step>();
  for (const line of readFileSync(join(dir, 'steps'), 'utf8').trim().split('\n')) {
    const [step, status] = line.split(' ') as [string, string];
    steps.set(step, {
      step,
      status: Number(status),
      stdout: readFileSync(join(dir, `${step}.out`), 'utf8'),
      stderr: readFileSync(join(dir, `${step}.err`), 'utf8'),
    });
  }
  return { steps, dir };
}
