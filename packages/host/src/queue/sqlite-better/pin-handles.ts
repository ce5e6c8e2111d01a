/**
 * Keeps better-sqlite3's native objects reachable for the life of the process.
 *
 * Why: better-sqlite3 12 (the last line that runs on Node 20) builds Database and Statement on
 * node::ObjectWrap, and since Node 24.19 ObjectWrap's destructor asserts that a JavaScript
 * environment is current. When an idle-time GC finalizes a dropped Statement, none is, and the
 * whole process aborts ("Assertion failed: (env) != nullptr", WiseLibs/better-sqlite3#1515;
 * fixed in better-sqlite3 13, which needs Node 22+). So no handle may ever become garbage: every
 * Statement and Database a store creates is kept here. That is bounded: a store prepares its
 * statements once (plus one per update shape), and stores are opened a handful of times per process.
 * @module
 */
import type Database from 'better-sqlite3';

const pinned: unknown[] = [];

/**
 * Pins `db` and every statement prepared on it from now on. Statements are made by the native
 * object behind `db` (pragma() and transaction() call it directly, not `db.prepare`), so that is
 * where preparing is intercepted.
 */
export function pinHandles(db: Database.Database): void {
  pinned.push(db);
  for (const key of Object.getOwnPropertySymbols(db)) {
    const native = (db as unknown as Record<symbol, { prepare?: (...args: unknown[]) => unknown }>)[key];
    if (typeof native?.prepare !== 'function') continue;
    pinned.push(native);
    const prepare = native.prepare.bind(native);
    native.prepare = (...args: unknown[]) => {
      const statement = prepare(...args);
      pinned.push(statement);
      return statement;
    };
    return;
  }
}
