import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renamedPluginModule } from '../support/renamed-plugin.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Path of a compiled fixture plugin, e.g. fixture('echo'). */
export function fixture(name: string): string {
  return join(here, 'fixtures', 'plugins', `${name}.js`);
}

/**
 * A fixture plugin that reports `name`, for a manifest of that name: the manager refuses a worker
 * whose handshake names another plugin than its manifest (ERR_PLUGIN_NAME_MISMATCH), and each
 * fixture calls itself after its file (`slow`), while tests run it under many names (`left`,
 * `right`). For another name this is a module beside the fixtures that re-exports the fixture
 * renamed (beside them, so a worker under the permission model may read the fixture it imports).
 * A fixture that never exports a plugin (no-export, throw-on-load, hang-on-load) is itself.
 */
export function fixtureAs(name: string, fixtureName: string): string {
  const file = fixture(fixtureName);
  if (name === fixtureName || !readFileSync(file, 'utf8').includes('definePlugin(')) return file;
  const wrapper = join(here, 'fixtures', 'plugins', `${fixtureName}~as~${name.replaceAll('/', '__')}.js`);
  // Test files run at once and may write the same wrapper: each writes its own, then renames.
  const tmp = `${wrapper}.${process.pid}.tmp`;
  writeFileSync(tmp, renamedPluginModule(file, name));
  renameSync(tmp, wrapper);
  return wrapper;
}

/** The repository's root (tests run from build/test). */
export const repoRoot = join(here, '..', '..');

/** Path of a non-TypeScript fixture file kept in the source tree (copied nowhere). */
export function sourceFixture(...parts: string[]): string {
  return join(repoRoot, 'test', 'fixtures', ...parts);
}

/**
 * True while a process with this pid runs. A zombie (exited, not yet reaped: orphans wait for
 * whatever reaps them, and in a container that may be slow or nobody) counts as gone.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * Polls `check` until it is true or `timeoutMs` passes; returns the final answer. The deadline only
 * ends a wait for something that never happens: it is far beyond how long anything takes on a
 * loaded machine, and a check that holds returns at once.
 */
export async function eventually(check: () => boolean, timeoutMs = 30_000, everyMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check();
}

/** Polls `check` (sync or async) until it holds; throws naming `what` if it never does. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const tempDirs: string[] = [];

/**
 * A fresh temp directory, removed when this test file's process exits (node --test runs each file
 * in its own process), so a suite leaves nothing behind in the temp dir however its tests end.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (tempDirs.push(dir) === 1) {
    process.on('exit', () => {
      for (const d of tempDirs) {
        try {
          rmSync(d, { recursive: true, force: true, maxRetries: 3 });
        } catch {
          // A worker still writing its log there: the temp dir's own cleanup gets it later.
        }
      }
    });
  }
  return dir;
}
