/**
 * The pending jobs in run order, in memory: the dispatcher walks it on every change, so it must
 * not cost a database read per dispatch. The store stays the truth; this mirrors it.
 * @module
 */

export interface PendingEntry {
  id: string;
  plugin: string;
  priority: number;
  rank: number;
  /** When it started waiting for resources (null when it is not waiting). */
  waitingSince: number | null;
}

/** Higher priority first, then lower rank. */
function before(a: PendingEntry, b: PendingEntry): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.rank < b.rank);
}

export class PendingIndex {
  #items: PendingEntry[] = [];
  readonly #byId = new Map<string, PendingEntry>();

  get size(): number {
    return this.#items.length;
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  get(id: string): PendingEntry | undefined {
    return this.#byId.get(id);
  }

  add(entry: PendingEntry): void {
    this.remove(entry.id);
    // Binary search for the insertion point; new jobs usually go at the end of their priority.
    let lo = 0;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.#items[mid] as PendingEntry, entry) || !before(entry, this.#items[mid] as PendingEntry)) lo = mid + 1;
      else hi = mid;
    }
    this.#items.splice(lo, 0, entry);
    this.#byId.set(entry.id, entry);
  }

  remove(id: string): PendingEntry | undefined {
    const e = this.#byId.get(id);
    if (e === undefined) return undefined;
    this.#byId.delete(id);
    const i = this.#items.indexOf(e);
    if (i >= 0) this.#items.splice(i, 1);
    return e;
  }

  /** Position in run order (0 = next), or -1. */
  position(id: string): number {
    const e = this.#byId.get(id);
    return e === undefined ? -1 : this.#items.indexOf(e);
  }

  at(index: number): PendingEntry | undefined {
    return this.#items[index];
  }

  /** In run order. Do not mutate while iterating. */
  entries(): readonly PendingEntry[] {
    return this.#items;
  }
}
