/**
 * Making committed inserts durable without stopping the event loop. With `synchronous = FULL`
 * SQLite fsyncs the WAL inside COMMIT, on the calling thread: node:sqlite is synchronous, so the
 * whole host (HTTP, event stream, worker pipes) stood still for each fsync — measured 3.5 ms a
 * commit, most of a no-op job's cost. Instead the insert commits with `synchronous = NORMAL`
 * (the WAL is written, not synced) and its callers wait for this fsync of the WAL file, which
 * runs on libuv's thread pool. A submit still returns only once its job survives power loss:
 * the WAL is appended in order and recovered as a checksummed prefix, so once the file is synced
 * past a commit frame that commit, and everything before it, is durable.
 *
 * fsync acts on the file, not on the descriptor, so one descriptor of our own serves. SQLite
 * keeps the `-wal` file (same inode; truncated, never replaced) while a connection is open, and
 * the store keeps its connection open; the file is opened on first use, after a commit made it.
 * On macOS libuv's fdatasync is F_FULLFSYNC, as `PRAGMA fullfsync` asks of SQLite.
 * @module
 */
import { type FileHandle, open } from 'node:fs/promises';
import { storeUnavailable } from './store-error.js';

export class WalSync {
  readonly #wal: string;
  readonly #db: string;
  #handle: Promise<FileHandle> | undefined;
  /** The fsync running now, if any. */
  #running: Promise<void> | undefined;
  /** The fsync that starts when the running one ends: it covers every commit made meanwhile. */
  #next: Promise<void> | undefined;

  constructor(dbFile: string) {
    this.#db = dbFile;
    this.#wal = `${dbFile}-wal`;
  }

  /** True while an fsync runs. */
  get busy(): boolean {
    return this.#running !== undefined;
  }

  /** Resolves once everything committed before this call is on disk. */
  sync(): Promise<void> {
    if (this.#running === undefined) return this.#start();
    // The running fsync may have begun before the caller's commit: wait for one that begins after.
    this.#next ??= this.#running.then(
      () => this.#start(),
      () => this.#start(),
    );
    return this.#next;
  }

  /** Waits for fsyncs in flight, then closes the file. */
  async close(): Promise<void> {
    await Promise.allSettled([this.#running, this.#next]);
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle !== undefined) await (await handle.catch(() => undefined))?.close();
  }

  #start(): Promise<void> {
    this.#next = undefined;
    const run = (async () => {
      try {
        this.#handle ??= open(this.#wal, 'r+');
        // fdatasync, as SQLite syncs its WAL: the data and the size needed to read it back.
        await (await this.#handle).datasync();
      } catch (e) {
        this.#handle = undefined;
        throw storeUnavailable(
          this.#db,
          'io',
          `job database ${this.#db}: its log could not be synced to disk (${(e as Error).message}); the last submit ` +
            'may not survive a power cut. Check the disk',
          e,
        );
      }
    })();
    this.#running = run;
    const clear = () => {
      if (this.#running === run) this.#running = undefined;
    };
    run.then(clear, clear);
    return run;
  }
}
