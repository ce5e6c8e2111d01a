/**
 * What the manager remembers across restarts, per plugin: enabled or not, and the config the user
 * set. One small JSON file under the Bulkhead home, replaced atomically (write a temp file, rename)
 * so a crash mid-write leaves the old state, never half a file.
 * @module
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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
    this.#state.plugins[name] = { ...this.get(name), ...patch };
    this.#flush();
  }

  #flush(): void {
    mkdirSync(dirname(this.#file), { recursive: true });
    const tmp = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.#state, null, 2)}\n`);
    renameSync(tmp, this.#file);
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
