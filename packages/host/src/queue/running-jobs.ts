/**
 * The jobs this queue runs now, by id and counted per plugin (the dispatcher's busy slots).
 * @module
 */
import type { Reservation } from '../resources/resource-ledger.js';

export interface Running {
  id: string;
  plugin: string;
  attempt: number;
  controller: AbortController;
  reservation: Reservation;
  cancelRequested: boolean;
  startedAt: number;
}

export class RunningJobs {
  readonly #byId = new Map<string, Running>();
  readonly #perPlugin = new Map<string, number>();

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): Running | undefined {
    return this.#byId.get(id);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** Jobs of `plugin` running now. */
  of(plugin: string): number {
    return this.#perPlugin.get(plugin) ?? 0;
  }

  ids(): string[] {
    return [...this.#byId.keys()];
  }

  values(): IterableIterator<Running> {
    return this.#byId.values();
  }

  add(run: Running): void {
    this.#byId.set(run.id, run);
    this.#perPlugin.set(run.plugin, this.of(run.plugin) + 1);
  }

  /** Removes `run` if it is still the one recorded for its id; says whether it was. */
  delete(run: Running): boolean {
    if (this.#byId.get(run.id) !== run) return false;
    this.#byId.delete(run.id);
    const n = this.of(run.plugin) - 1;
    if (n <= 0) this.#perPlugin.delete(run.plugin);
    else this.#perPlugin.set(run.plugin, n);
    return true;
  }

  /** Asks the job to stop: its signal aborts in the plugin. */
  cancel(id: string, reason: Error): boolean {
    const run = this.#byId.get(id);
    if (!run) return false;
    run.cancelRequested = true;
    run.controller.abort(reason);
    return true;
  }
}
