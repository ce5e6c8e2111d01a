/**
 * Outcomes of finished jobs that a full disk kept from being written: held in memory and written
 * again every `retryMs` until the disk has room, in the order they finished. The job stays
 * `running` in the store meanwhile, so a host that dies before then loses nothing either: the
 * next one recovers the job as interrupted and runs it again within its attempts.
 * @module
 */
import { isDiskFull } from '../disk/disk-full.js';

export class UnwrittenOutcomes {
  readonly #retryMs: number;
  readonly #held = new Map<string, () => Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  #writing = false;

  constructor(retryMs = 1000) {
    this.#retryMs = retryMs;
  }

  get size(): number {
    return this.#held.size;
  }

  /** Keeps job `id`'s outcome; `write` records it (and throws while the disk is still full). */
  hold(id: string, write: () => Promise<void>): void {
    this.#held.set(id, write);
    this.#schedule();
  }

  /** Forgets them all (the queue stops: the store recovers those jobs as interrupted). */
  clear(): void {
    this.#held.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    if (this.#timer !== null || this.#writing) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#flush();
    }, this.#retryMs);
    this.#timer.unref();
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      for (const [id, write] of [...this.#held]) {
        try {
          await write();
          this.#held.delete(id);
        } catch (e) {
          if (isDiskFull(e)) break; // still full: all later ones wait too, in order
          this.#held.delete(id); // another failure: the store reports it; the job is recovered later
        }
      }
    } finally {
      this.#writing = false;
      if (this.#held.size > 0) this.#schedule();
    }
  }
}
