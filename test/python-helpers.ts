/** What the Python tests share: whether a Python 3.10+ is there, and the real interpreter's path. */
import { spawnSync } from 'node:child_process';

const probe = spawnSync('python3', ['-c', 'import sys; print(sys.version_info >= (3, 10)); print(sys.executable)'], {
  encoding: 'utf8',
});
const [ok, executable] = (probe.stdout ?? '').trim().split('\n');

/** Why the Python tests are skipped, or false when python3 (3.10+) is on PATH. */
export const pythonSkip: string | false =
  probe.error !== undefined
    ? `python3 is not on PATH (${probe.error.message})`
    : ok !== 'True'
      ? `python3 is older than 3.10 (${probe.stdout.trim() || probe.stderr.trim()})`
      : false;
if (pythonSkip) console.log(`skipping the Python tests: ${pythonSkip}`);

/**
 * The interpreter itself, not a wrapper on PATH (pyenv's python3 is a shell script that adds
 * ~100 ms to each start, and a venv made from it points back at the wrapper's target anyway).
 */
export const realPython: string = executable || 'python3';
