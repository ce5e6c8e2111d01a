/**
 * Eviction applied: on a timer, plugins idle for longer than `idleTimeoutMs` are unloaded; on
 * request, the fewest idle ones that free what is short. Which ones is eviction.ts's choice.
 * @module
 */
import { type EvictionCandidate, idleVictims, victimsFor } from './eviction.js';

export interface EvictorContext {
  /** Loaded plugins as eviction candidates (PluginWorkers.candidates). */
  candidates(): EvictionCandidate[];
  /** Unloads one plugin, for `reason`. */
  unload(name: string, reason: 'idle' | 'budget'): Promise<void>;
  /** The clock `lastUsed` is read on. */
  now(): number;
}

export class Evictor {
  readonly #ctx: EvictorContext;
  readonly #idleTimeoutMs: number | undefined;
  #timer: NodeJS.Timeout | null = null;

  /** With a positive `idleTimeoutMs`, checks for idle plugins every half of it (20 ms to 10 s). */
  constructor(ctx: EvictorContext, idleTimeoutMs: number | undefined) {
    this.#ctx = ctx;
    this.#idleTimeoutMs = idleTimeoutMs;
    if (idleTimeoutMs !== undefined && idleTimeoutMs > 0) {
      this.#timer = setInterval(() => void this.idle(), Math.max(20, Math.min(idleTimeoutMs / 2, 10_000)));
      this.#timer.unref();
    }
  }

  /** Unloads plugins idle for longer than `idleTimeoutMs`; the names unloaded. */
  async idle(idleTimeoutMs = this.#idleTimeoutMs ?? Number.POSITIVE_INFINITY): Promise<string[]> {
    const victims = idleVictims(this.#ctx.candidates(), this.#ctx.now() - idleTimeoutMs);
    return this.#unload(victims, 'idle');
  }

  /** Unloads the fewest LRU idle plugins that hold part of what is short; none if nothing would help. */
  async forShortfall(shortfall: { memoryMB?: number; gpuMemoryMB?: number }): Promise<string[]> {
    const victims = victimsFor(this.#ctx.candidates(), shortfall.memoryMB ?? 0, shortfall.gpuMemoryMB ?? 0) ?? [];
    return this.#unload(victims, 'budget');
  }

  /** Stops the timer. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #unload(victims: EvictionCandidate[], reason: 'idle' | 'budget'): Promise<string[]> {
    await Promise.all(victims.map((v) => this.#ctx.unload(v.name, reason)));
    return victims.map((v) => v.name);
  }
}
