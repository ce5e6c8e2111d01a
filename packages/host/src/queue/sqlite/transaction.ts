/**
 * Write transactions on one connection: `BEGIN IMMEDIATE … COMMIT`, rolled back if the work throws.
 * IMMEDIATE takes the write lock up front, so a transaction that reads then writes cannot fail
 * half-way on a lock another connection took meanwhile; the busy timeout applies to the BEGIN.
 * The three statements are prepared once per connection (preparing costs more than running them).
 * @module
 */
import type { DatabaseSync } from 'node:sqlite';

/** Runs a function inside one write transaction and returns its result. */
export type Transaction = <T>(fn: () => T) => T;

export function immediateTransaction(db: DatabaseSync): Transaction {
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  return <T>(fn: () => T): T => {
    begin.run();
    try {
      const result = fn();
      commit.run();
      return result;
    } catch (e) {
      // After a failed COMMIT (busy, disk full) the transaction may still be open, or SQLite may
      // have rolled it back itself; `isTransaction` is missing before Node 22.16, so just try.
      try {
        rollback.run();
      } catch {
        // no transaction was open
      }
      throw e;
    }
  };
}
