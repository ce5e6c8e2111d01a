/**
 * The embedded job store: one SQLite file (WAL mode) under the Bulkhead home, owned by one live
 * host at a time, through Node's built-in `node:sqlite`. Its API is synchronous, and that is the
 * point: each call is one short transaction over statements prepared once, so a write costs about
 * one fsync and no thread hop.
 *
 * @example
 * await using store = await SqliteJobStore.open(join(bulkheadHome(), 'jobs.db'));
 * const [job] = await store.insert([{ id: 'j1', plugin: 'echo', input, priority: 0,
 *   idempotencyKey: null, maxAttempts: 3, timeoutMs: null, createdAt: Date.now() }]);
 * @module
 */
import { resolve } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { BulkheadError, isBulkheadError } from '@bulkhead/sdk/errors';
import type { LogEntry } from '../../process/log-buffer.js';
import type {
  JobEvent,
  JobFilter,
  JobPage,
  JobPatch,
  JobRecord,
  JobStatus,
  JobStore,
  NewJob,
  RetentionPolicy,
  StoreOp,
} from '../job-store.js';
import { checkNewJob, encodeOp, type Write } from './encode-op.js';
import { type JobRow, toJobEvent, toJobRecord, toLogEntry } from './job-rows.js';
import { encodeCursor, listQuery, MANY_CANDIDATES } from './list-query.js';
import { openDatabase } from './open-database.js';
import { releaseOwnership } from './owner-lock.js';
import { pruneJobs, retentionPlan } from './prune.js';
import { type SearchIndex, searchIndex } from './search-index.js';
import { prepareStatements, type Statement, type Statements, typed } from './statements.js';
import { count, fromSqliteError, invalidArgument, storeClosed, storeUnavailable } from './store-error.js';
import type { Transaction } from './transaction.js';
import type { UpdateQuery } from './update-query.js';
import { WalSync } from './wal-sync.js';

export interface SqliteJobStoreOptions {
  /**
   * `'fsync'` (default): a resolved write survives power loss (the WAL is synced on each commit).
   * `'process'`: it survives a crash of this process but maybe not of the machine; several times
   * faster per single write.
   */
  durability?: 'fsync' | 'process';
  /** How long a call waits for a lock held by another connection before ERR_STORE_UNAVAILABLE. */
  busyTimeoutMs?: number;
  /** Log entries kept per job (default 10,000); older ones are dropped, so a flood cannot fill the disk. */
  maxLogsPerJob?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 2000;
const DEFAULT_MAX_LOGS_PER_JOB = 10_000;
const DEFAULT_LOG_LIMIT = 1000;

/** Files open in this process: two stores on one file would run its jobs twice, like two hosts. */
const openFiles = new Set<string>();

const RETURNING = ' RETURNING *';
export class SqliteJobStore implements JobStore {
  /** Absolute path of the database file. */
  readonly file: string;
  #db: DatabaseSync | null;
  /** Durability `fsync`: submits are fsync'd (off the event loop: wal-sync.ts); batches of state changes are not (see batch). */
  #fsync = true;
  #walSync: WalSync;
  #syncNormal: Statement | undefined;
  #syncFull: Statement | undefined;
  readonly #sql: Statements;
  readonly #search: SearchIndex;
  /** Runs a function inside BEGIN IMMEDIATE … COMMIT. */
  readonly #transaction: Transaction;
  readonly #busyTimeoutMs: number;
  readonly #maxLogsPerJob: number;
  /** Statements whose text depends on the call (list filters, update patches), by text. */
  readonly #shaped = new Map<string, Statement<unknown[], JobRow>>();

  private constructor(
    db: DatabaseSync,
    transaction: Transaction,
    file: string,
    busyTimeoutMs: number,
    maxLogsPerJob: number,
  ) {
    this.#db = db;
    this.file = file;
    this.#sql = prepareStatements(db);
    this.#search = searchIndex(db);
    this.#transaction = transaction;
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#maxLogsPerJob = maxLogsPerJob;
    this.#walSync = new WalSync(file);
  }

  /**
   * Opens the job database at `file` (creating it and its directories if needed) and takes
   * ownership of it. Rejects with ERR_STORE_UNAVAILABLE if the file is corrupt, not a job database,
   * from a newer Bulkhead, served by another live process, or locked for longer than
   * `busyTimeoutMs`; the message says what to do.
   */
  static async open(file: string, options: SqliteJobStoreOptions = {}): Promise<SqliteJobStore> {
    const durability = options.durability ?? 'fsync';
    if (durability !== 'fsync' && durability !== 'process') {
      throw invalidArgument(`durability must be 'fsync' or 'process', got ${JSON.stringify(durability)}`);
    }
    const busyTimeoutMs = count(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS, 'busyTimeoutMs');
    const maxLogsPerJob = count(options.maxLogsPerJob ?? DEFAULT_MAX_LOGS_PER_JOB, 'maxLogsPerJob');
    if (maxLogsPerJob < 1) throw invalidArgument('maxLogsPerJob must be at least 1');
    const path = resolve(file);
    if (openFiles.has(path)) {
      throw storeUnavailable(path, 'in-use', `job database ${path} is already open in this process; close it first`);
    }
    const { db, transaction } = openDatabase(path, { durability, busyTimeoutMs });
    let store: SqliteJobStore;
    try {
      store = new SqliteJobStore(db, transaction, path, busyTimeoutMs, maxLogsPerJob);
      store.#fsync = durability === 'fsync';
    } catch (e) {
      db.close();
      throw fromSqliteError(e, path, busyTimeoutMs);
    }
    openFiles.add(path);
    return store;
  }

  async insert(jobs: NewJob[]): Promise<JobRecord[]> {
    if (!Array.isArray(jobs)) throw invalidArgument('insert takes an array of jobs');
    jobs.forEach(checkNewJob);
    // One job and no sync running: one caller waits for it and nothing else is on the way, so
    // SQLite's own fsync in COMMIT is quickest (no hop to another thread: measured 2× the
    // awaited submits per second on this 2-core machine).
    if (!this.#fsync || (jobs.length === 1 && !this.#walSync.busy)) {
      return this.#write(() => jobs.map((job) => this.#insertOne(job)));
    }
    // Several callers' submits (GroupInsert), or more behind a sync that runs: committed without
    // SQLite's own fsync, then synced off the event loop before anyone learns of it
    // (wal-sync.ts): durable as with synchronous = FULL, and the host keeps serving meanwhile.
    const records = this.#unsynced(() => this.#write(() => jobs.map((job) => this.#insertOne(job))));
    if (records.length > 0) await this.#walSync.sync();
    return records;
  }

  async get(id: string): Promise<JobRecord | null> {
    return this.#read(() => {
      const row = this.#sql.get.get(id);
      return row === undefined ? null : this.#record(row);
    });
  }

  async pending(limit?: number): Promise<JobRecord[]> {
    // LIMIT -1: no limit.
    const n = limit === undefined ? -1 : count(limit, 'limit');
    return this.#read(() => this.#records(this.#sql.pending.all(n)));
  }

  async running(): Promise<JobRecord[]> {
    return this.#read(() => this.#records(this.#sql.running.all()));
  }

  async list(filter: JobFilter = {}): Promise<JobPage> {
    const query = listQuery(filter);
    if (query.text && this.#read(() => this.#search.behind())) this.#write(() => this.#search.catchUp());
    return this.#read(() => {
      let rows: JobRow[] = [];
      if (query.count !== undefined && query.probe !== undefined) {
        const { n } = this.#shape(query.count.sql).get(query.count.params) as unknown as { n: number };
        if (n >= MANY_CANDIDATES) rows = this.#shape(query.probe.sql).all(query.probe.params);
      }
      if (rows.length <= query.limit) rows = this.#shape(query.sql).all(query.params);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const next = rows.length > query.limit && last !== undefined ? encodeCursor(last.created_at, last.id) : null;
      return { jobs: this.#records(page), next };
    });
  }

  async update(id: string, patch: JobPatch, ifStatus?: JobStatus[]): Promise<JobRecord | null> {
    const write = encodeOp({ op: 'update', id, patch, ...(ifStatus !== undefined ? { ifStatus } : {}) });
    return this.#write(() => {
      const row = write.op === 'update' ? this.#update(write.query) : undefined;
      return row === undefined ? null : this.#record(row);
    });
  }

  /** Rejects with ERR_JOB_NOT_FOUND if there is no such job. */
  async appendEvent(id: string, event: JobEvent): Promise<void> {
    const write = encodeOp({ op: 'event', id, event });
    if (!this.#write(() => this.#apply(write))) throw notFound(id);
  }

  /** Rejects with ERR_JOB_NOT_FOUND if there is no such job. */
  async appendLogs(id: string, entries: LogEntry[]): Promise<void> {
    const write = encodeOp({ op: 'logs', id, entries });
    if (!this.#write(() => this.#apply(write))) throw notFound(id);
  }

  async logs(id: string, limit = DEFAULT_LOG_LIMIT): Promise<LogEntry[]> {
    const n = count(limit, 'limit');
    return this.#read(() => this.#sql.logs.all(id, n).map(toLogEntry));
  }

  async batch(ops: StoreOp[]): Promise<boolean[]> {
    if (!Array.isArray(ops)) throw invalidArgument('batch takes an array of ops');
    // Encode everything first: a bad op rejects the batch before anything is written.
    const writes = ops.map(encodeOp);
    // State changes are committed without their own fsync (WAL keeps them through a crash of this
    // process); the next fsync'd commit (any submit) flushes them too. Losing one to a power cut
    // re-runs a job within its attempts, which the queue allows; a lost submit it would not.
    return this.#unsynced(() => this.#write(() => writes.map((w) => this.#apply(w))));
  }

  async idsWithPrefix(prefix: string, limit: number): Promise<string[]> {
    if (typeof prefix !== 'string') throw invalidArgument('prefix must be a string');
    const n = count(limit, 'limit');
    // A range on the primary key rather than LIKE, whose wildcards a prefix would have to escape.
    return this.#read(() => this.#sql.idRange.all(prefix, `${prefix}\u{10ffff}`, n).map((r) => r.id));
  }

  async prune(policy: RetentionPolicy): Promise<number> {
    const plan = retentionPlan(policy);
    if (plan === null) return 0;
    const now = Date.now();
    // Their events and logs go with them (ON DELETE CASCADE).
    return this.#write(() => pruneJobs(this.#db as DatabaseSync, this.#sql, plan, now));
  }

  /** Gives up ownership and closes the file. Idempotent. */
  async close(): Promise<void> {
    const db = this.#db;
    if (db === null) return;
    this.#db = null;
    openFiles.delete(this.file);
    // Inserts awaiting their fsync still get it (their callers learn of a failure from `insert`).
    await this.#walSync.close().catch(() => {});
    try {
      releaseOwnership(db);
      // Refreshes the planner's statistics where they went stale; cheap.
      db.exec('PRAGMA optimize');
    } catch {
      // A row left behind names our pid, which will be dead: the next open takes it over.
    } finally {
      db.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ─── inside a transaction ───────────────────────────────────────────────────────────────────

  #insertOne(job: NewJob): JobRecord {
    if (job.idempotencyKey !== null) {
      const existing = this.#sql.byKey.get(job.idempotencyKey);
      if (existing !== undefined) return this.#record(existing);
    }
    if (this.#sql.exists.get(job.id) !== undefined) {
      throw invalidArgument(`a job with id ${JSON.stringify(job.id)} already exists`);
    }
    // After every pending job: read per job, since an earlier job of the batch is pending too.
    const rank = (this.#sql.maxPendingRank.get()?.rank ?? 0) + 1;
    this.#sql.insert.run(
      job.id,
      job.plugin,
      job.input,
      job.priority,
      rank,
      job.idempotencyKey,
      job.maxAttempts,
      job.timeoutMs,
      job.createdAt,
    );
    return {
      id: job.id,
      plugin: job.plugin,
      input: job.input,
      status: 'pending',
      priority: job.priority,
      rank,
      idempotencyKey: job.idempotencyKey,
      attempts: 0,
      maxAttempts: job.maxAttempts,
      timeoutMs: job.timeoutMs,
      createdAt: job.createdAt,
      startedAt: null,
      finishedAt: null,
      result: null,
      error: null,
      progress: null,
      timeline: [],
    };
  }

  #update(query: UpdateQuery | null): JobRow | undefined {
    return query === null ? undefined : this.#shape(query.sql).get(...query.params);
  }

  /** Runs an update for its effect only: no row read back (a job's input may be large). */
  #updated(query: UpdateQuery | null): boolean {
    if (query === null) return false;
    if (!query.sql.endsWith(RETURNING)) return this.#update(query) !== undefined;
    return Number(this.#shape(query.sql.slice(0, -RETURNING.length)).run(...query.params).changes) > 0;
  }

  /** Applies one write; false if its job is missing or (update) its status did not match. */
  #apply(w: Write): boolean {
    if (w.op === 'update') return this.#updated(w.query);
    if (this.#sql.exists.get(w.id) === undefined) return false;
    if (w.op === 'event') {
      this.#sql.appendEvent.run(w.id, ...w.event);
      return true;
    }
    const cap = this.#maxLogsPerJob;
    // Only the newest `cap` of a large batch would survive the cap anyway.
    const entries = w.entries.length > cap ? w.entries.slice(-cap) : w.entries;
    let seq = this.#sql.lastLogSeq.get(w.id)?.seq ?? 0;
    for (const entry of entries) this.#sql.appendLog.run(w.id, ++seq, ...entry);
    if (seq > cap) this.#sql.dropLogs.run(w.id, seq - cap);
    return true;
  }

  #record(row: JobRow): JobRecord {
    return toJobRecord(row, this.#sql.events.all(row.id).map(toJobEvent));
  }

  /** Records of many rows, their timelines read in one query. */
  #records(rows: JobRow[]): JobRecord[] {
    if (rows.length <= 1) return rows.map((r) => this.#record(r));
    const timelines = new Map<string, JobEvent[]>(rows.map((r) => [r.id, []]));
    for (const e of this.#sql.eventsOf.all(JSON.stringify(rows.map((r) => r.id)))) {
      timelines.get(e.job_id)?.push(toJobEvent(e));
    }
    return rows.map((r) => toJobRecord(r, timelines.get(r.id)!));
  }

  // ─── plumbing ───────────────────────────────────────────────────────────────────────────────

  /**
   * Runs `fn` with `synchronous = NORMAL` (its commit not fsync'd), then back to the durability's
   * own setting, which everything else (checkpoints, the owner row) keeps. A no-op for `'process'`.
   */
  #unsynced<T>(fn: () => T): T {
    // Closed: `fn` rejects with the store's own error.
    if (!this.#fsync || this.#db === null) return fn();
    // Prepared once: preparing costs more than running them.
    this.#syncNormal ??= typed(this.#db, 'PRAGMA synchronous = NORMAL');
    this.#syncFull ??= typed(this.#db, 'PRAGMA synchronous = FULL');
    this.#syncNormal.run();
    try {
      return fn();
    } finally {
      this.#syncFull.run();
    }
  }

  /** Runs `fn` in one write transaction (one commit), taking the lock up front. */
  #write<T>(fn: () => T): T {
    return this.#read(() => this.#transaction(fn));
  }

  /** Runs `fn` on the open database, turning SQLite's errors into Bulkhead's. */
  #read<T>(fn: () => T): T {
    if (this.#db === null) throw storeClosed(this.file);
    try {
      return fn();
    } catch (e) {
      throw isBulkheadError(e) ? e : fromSqliteError(e, this.file, this.#busyTimeoutMs);
    }
  }

  #shape(sql: string): Statement<unknown[], JobRow> {
    let stmt = this.#shaped.get(sql);
    if (stmt === undefined) {
      stmt = typed<unknown[], JobRow>(this.#db!, sql);
      this.#shaped.set(sql, stmt);
    }
    return stmt;
  }
}

function notFound(id: string): BulkheadError {
  return new BulkheadError('ERR_JOB_NOT_FOUND', `no job with id ${JSON.stringify(id)}`, { id });
}
