/**
 * The unit tier's one rule, enforced: a test file under test/unit/ starts no process. Loaded into
 * every test process (`node --import` in the test scripts); in a unit file's process every way to
 * start a child throws, so a test that starts one fails at once and says it belongs in
 * test/process/. The runner itself and the process tier are left alone.
 * @module
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { sep } from 'node:path';

const file = process.argv[1] ?? '';
if (process.env.NODE_TEST_CONTEXT !== undefined && file.includes(`${sep}test${sep}unit${sep}`)) {
  const cp = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const refuse = (how: string) => () => {
    throw new Error(`${how}: a unit test starts no process; move this test to test/process/ (${file})`);
  };
  // spawn, exec, execFile and fork all start their child through ChildProcess#spawn (internal).
  (cp.ChildProcess.prototype as unknown as { spawn: unknown }).spawn = refuse('spawn');
  for (const name of ['spawnSync', 'execSync', 'execFileSync'] as const) {
    (cp as Record<string, unknown>)[name] = refuse(name);
  }
  syncBuiltinESMExports();
}
