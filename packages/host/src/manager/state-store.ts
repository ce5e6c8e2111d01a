/**
 * What the manager remembers across restarts, per plugin: enabled or not, and the config the user
 * set. One small JSON file under the Bulkhead home, replaced atomically (write a temp file, rename)
 * so a crash mid-write leaves the old state, never half a file.
 *
 * Several processes may share a home (two `bulkhead disable` at once): each change is made under
 * a lock file, over the file as it is on disk then, so no process writes back a stale copy.
 * @module
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface PluginState {
  enabled: boolean;
  /** Config set through updateConfig (over the manifest's defaults). */
  config?: Record<string, unknown>;
}

interface StateFile {
  version: 1;
  plugins: Record<string, PluginState>;
}

export class StateStore {
  readonly #file: string;
  #state: StateFile;

  constructor(file: string) {
    this.#file = file;
    this.#state = read(file);
  }

  get(name: string): PluginState {
    return this.#state.plugins[name] ?? { enabled: true };
  }

  set(name: string, patch: Partial<PluginState>): void {
    this.update(name, () => patch);
  }

  /** Like set, with the patch worked out from the plugin's state as it is on disk, under the lock. */
  update(name: string, patchOf: (current: PluginState) => Partial<PluginState>): void {
    mkdirSync(dirname(this.#file), { recursive: true });
    withLock(`${this.#file}.lock`, () => {
      this.#state = read(this.#file);
      const current = this.get(name);
      this.#state.plugins[name] = { ...current, ...patchOf(current) };
      const tmp = `${this.#file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(this.#state, null, 2)}\n`);
      renameSync(tmp, this.#file);
    });
  }
}

/** A lock held longer than this belongs to a process that died holding it. */
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 5_000;

/** Runs `fn` holding an exclusive lock file (created with O_EXCL, removed after). Synchronous. */
function withLock(lock: string, fn: () => void): void {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS || Date.now() > deadline) rmSync(lock, { force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // a 5 ms synchronous pause
    }
  }
  try {
    fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function read(file: string): StateFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { version: 1, plugins: {} };
  }
  try {
    const parsed = JSON.parse(text) as StateFile;
    if (parsed && typeof parsed.plugins === 'object' && parsed.plugins !== null) return parsed;
  } catch {
    // fall through: a corrupt state file is set aside, not fatal
  }
  renameSync(file, `${file}.corrupt-${Date.now()}`);
  return { version: 1, plugins: {} };
}
