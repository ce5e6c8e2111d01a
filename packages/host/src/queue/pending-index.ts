/**
 * The pending jobs in run order, in memory: the dispatcher walks it on every change, so it must
 * not cost a database read per dispatch. The store stays the truth; this mirrors it.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';

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
  readonly #perPlugin = new Map<string, number>();

  get size(): number {
    return this.#items.length;
  }

  /** How many distinct plugins have pending jobs. */
  get plugins(): number {
    return this.#perPlugin.size;
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
      if (before(this.#items[mid] as PendingEntry, entry) || !before(entry, this.#items[mid] as PendingEntry))
        lo = mid + 1;
      else hi = mid;
    }
    this.#items.splice(lo, 0, entry);
    this.#byId.set(entry.id, entry);
    this.#perPlugin.set(entry.plugin, (this.#perPlugin.get(entry.plugin) ?? 0) + 1);
  }

  remove(id: string): PendingEntry | undefined {
    const e = this.#byId.get(id);
    if (e === undefined) return undefined;
    this.#byId.delete(id);
    // Jobs leave mostly from the front (they start), so look there first.
    const i = this.#items[0] === e ? 0 : this.#items.indexOf(e);
    if (i >= 0) this.#items.splice(i, 1);
    const n = (this.#perPlugin.get(e.plugin) ?? 1) - 1;
    if (n === 0) this.#perPlugin.delete(e.plugin);
    else this.#perPlugin.set(e.plugin, n);
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

/**
 * Where `reorder` puts a pending entry: at `position` in run order (0 = next, among jobs of its
 * priority and above; it takes the priority of the job it lands before, or after at the end, and
 * a rank between), or at a new `priority` (behind the jobs already there). Validates `to`.
 */
export function placement(
  index: PendingIndex,
  entry: PendingEntry,
  to: { position: number } | { priority: number },
): { priority: number; rank: number } {
  const { id } = entry;
  if ('priority' in to) {
    if (!Number.isFinite(to.priority))
      throw new BulkheadError('ERR_INVALID_ARGUMENT', '"priority" must be a finite number');
    const same = index.entries().filter((e) => e.priority === to.priority && e.id !== id);
    return { priority: to.priority, rank: (same.at(-1)?.rank ?? entry.rank) + 1 };
  }
  if (!Number.isSafeInteger(to.position) || to.position < 0) {
    throw new BulkheadError('ERR_INVALID_ARGUMENT', '"position" must be an integer ≥ 0');
  }
  const others = index.entries().filter((e) => e.id !== id);
  const p = Math.min(to.position, others.length);
  const prev = others[p - 1];
  const next = others[p];
  const priority = next?.priority ?? prev?.priority ?? entry.priority;
  const lo = prev && prev.priority === priority ? prev.rank : (next?.rank ?? 0) - 2;
  const hi = next && next.priority === priority ? next.rank : lo + 2;
  return { priority, rank: (lo + hi) / 2 };
}
