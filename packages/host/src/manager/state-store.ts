/**
 * What the manager remembers across restarts, per plugin: enabled or not, and the config the user
 * set. One small JSON file under the Bulkhead home, replaced atomically (write a temp file, rename)
 * so a crash mid-write leaves the old state, never half a file.
 *
 * Several processes may share a home (two `bulkhead disable` at once): each change is made under
 * an identity-checked lock file (process/lock-file.ts), over the file as it is on disk then, so no
 * process writes back a stale copy, and a slow but live holder keeps its lock.
 * @module
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { diskFullError, isDiskFull } from '../disk/disk-full.js';
import { describeHolder, releaseLock, tryLock } from '../process/lock-file.js';

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
  readonly #lockWaitMs: number;
  #state: StateFile;

  /** `lockWaitMs`: how long a change waits for a live holder of the lock before ERR_LOCKED. */
  constructor(file: string, options: { lockWaitMs?: number } = {}) {
    this.#file = file;
    this.#lockWaitMs = options.lockWaitMs ?? LOCK_WAIT_MS;
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
    try {
      this.#update(name, patchOf);
    } catch (e) {
      if (isDiskFull(e)) throw diskFullError(this.#file, 'the plugin state', e);
      throw e;
    }
  }

  #update(name: string, patchOf: (current: PluginState) => Partial<PluginState>): void {
    mkdirSync(dirname(this.#file), { recursive: true });
    withLock(`${this.#file}.lock`, this.#lockWaitMs, () => {
      this.#state = read(this.#file);
      const current = this.get(name);
      this.#state.plugins[name] = { ...current, ...patchOf(current) };
      const tmp = `${this.#file}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, `${JSON.stringify(this.#state, null, 2)}\n`);
        renameSync(tmp, this.#file);
      } catch (e) {
        rmSync(tmp, { force: true }); // a full disk leaves no half-written temp file behind
        throw e;
      }
    });
  }
}

/** A state change takes milliseconds: a live holder that keeps the lock this long is stuck. */
const LOCK_WAIT_MS = 10_000;

/**
 * Runs `fn` holding the state's lock file (process/lock-file.ts). Synchronous. A dead holder's lock
 * is taken over; a live holder is waited for, then named in ERR_LOCKED, never robbed of its lock.
 */
function withLock(lock: string, waitMs: number, fn: () => void): void {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const got = tryLock(lock, {
      onTakeover: (t) =>
        process.emitWarning(
          `took over ${t.file}: ${t.reason === 'gone' ? `its holder (pid ${t.holder?.pid}) is gone` : 'it names no holder'}`,
          'BulkheadWarning',
        ),
    });
    if (got === true) break;
    if (Date.now() > deadline) {
      throw new BulkheadError(
        'ERR_LOCKED',
        `the plugin state ${lock} is locked by another process (${describeHolder(got)}); stop that process, or wait for it`,
        { file: lock, pid: got.pid, since: got.since },
      );
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // a 5 ms synchronous pause
  }
  try {
    fn();
  } finally {
    releaseLock(lock);
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
