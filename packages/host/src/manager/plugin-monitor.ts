/**
 * A system monitor served by a plugin, as the reference design allowed: the plugin's `execute`
 * answers `{ query: 'snapshot' }` with a SystemSnapshot and `{ query: 'gpu-processes' }` with a
 * GpuProcess[]. Answers are checked, so a broken monitor plugin fails loudly, not with NaNs.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import { type GpuProcess, parseSnapshot, type SystemMonitor, type SystemSnapshot } from '../resources/index.js';

interface Executor {
  execute<O = unknown>(name: string, input: unknown): Promise<O>;
}

export class PluginMonitor implements SystemMonitor {
  readonly #manager: Executor;
  readonly #plugin: string;

  constructor(manager: Executor, plugin: string) {
    this.#manager = manager;
    this.#plugin = plugin;
  }

  async sample(): Promise<SystemSnapshot> {
    return parseSnapshot(await this.#manager.execute(this.#plugin, { query: 'snapshot' }));
  }

  async gpuProcesses(): Promise<GpuProcess[]> {
    const list = await this.#manager.execute(this.#plugin, { query: 'gpu-processes' });
    if (!Array.isArray(list)) {
      throw new BulkheadError(
        'ERR_INVALID_ARGUMENT',
        `monitor plugin "${this.#plugin}" must answer gpu-processes with an array`,
      );
    }
    return list.map((p, i) => {
      const g = p as GpuProcess;
      if (!Number.isInteger(g?.pid) || typeof g.usedMemoryMB !== 'number') {
        throw new BulkheadError(
          'ERR_INVALID_ARGUMENT',
          `monitor plugin "${this.#plugin}": gpu-processes[${i}] needs a pid and usedMemoryMB`,
        );
      }
      return g;
    });
  }
}
