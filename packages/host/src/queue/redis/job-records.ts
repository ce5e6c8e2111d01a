/**
 * Bulkhead's own record of each job on Redis, beside BullMQ's: status (with `cancelled`, which
 * BullMQ has not), attempts, timeline, error code, progress, logs and the host that runs it, so
 * every host reads the same job. BullMQ decides who runs what and when (priority, locks, stalled
 * jobs); these records say what happened. Every status change is one compare-and-set script, so
 * two hosts never both move a job (a cancel racing a take, a stalled job taken twice).
 *
 * Keys (under the prefix, `bulkhead` by default): `<p>:job:<id>` hash, `:events` and `:logs`
 * lists beside it; `<p>:jobs` (all ids by creation), `<p>:finished` (by finish time),
 * `<p>:running` (a set), `<p>:idem:<key>` (idempotency keys).
 * @module
 */
import type { Redis } from 'ioredis';
import type { LogEntry } from '../../process/log-buffer.js';
import type { JobEvent, JobFilter, JobPage, JobRecord, JobStatus, NewJob, RetentionPolicy } from '../job-store.js';
import { TERMINAL_STATUSES } from '../job-store.js';

/** A field change: a value, or null to delete the field. */
export type Fields = Partial<Record<RecordField, string | Buffer | number | null>>;
type RecordField =
  | 'attempts'
  | 'startedAt'
  | 'finishedAt'
  | 'result'
  | 'error'
  | 'progress'
  | 'host'
  | 'cancel'
  | 'priority';

const LOG_LIMIT = 1000;

/**
 * KEYS: job hash, running set, finished zset, events list. ARGV: id, allowed statuses (comma
 * separated), new status ('' keeps it), now, channel, message ('' for none: published when
 * applied, so a state change and its news cost one round trip), event count n, n events, then
 * field/value pairs (an empty value deletes the field). Returns 0 when the status did not match;
 * 1 when applied, 2 when applied and a cancel has been asked for the job.
 */
const TRANSITION = `
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return 0 end
local ok = false
for s in string.gmatch(ARGV[2], '[^,]+') do if s == cur then ok = true end end
if not ok then return 0 end
local n = tonumber(ARGV[7])
for i = 8, 7 + n do redis.call('RPUSH', KEYS[4], ARGV[i]) end
for i = 8 + n, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i]) else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
local st = ARGV[3]
if st ~= '' then
  redis.call('HSET', KEYS[1], 'status', st)
  if st == 'running' then redis.call('SADD', KEYS[2], ARGV[1]) else redis.call('SREM', KEYS[2], ARGV[1]) end
  if st == 'completed' or st == 'failed' or st == 'cancelled' then redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1]) end
end
if ARGV[6] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
if redis.call('HGET', KEYS[1], 'cancel') == '1' then return 2 end
return 1
`;

/** KEYS: idempotency key (may be ''), job hash, jobs zset. ARGV: id, createdAt, then hash pairs. Returns the id that holds the key. */
const INSERT = `
if KEYS[1] ~= '' then
  local held = redis.call('GET', KEYS[1])
  if held then return held end
  redis.call('SET', KEYS[1], ARGV[1])
end
local pairs = {}
for i = 3, #ARGV do pairs[#pairs + 1] = ARGV[i] end
redis.call('HSET', KEYS[2], unpack(pairs))
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return ARGV[1]
`;

/** A record as Redis holds it: the host that runs (or ran) it, and whether a cancel was asked. */
export type RedisJobRecord = JobRecord & { host: string | null; cancelAsked: boolean };

type WithScripts = Redis & {
  bhTransition(...args: (string | Buffer | number)[]): Promise<0 | 1 | 2>;
  bhInsert(...args: (string | Buffer | number)[]): Promise<string>;
};

export class JobRecords {
  readonly #redis: WithScripts;
  readonly #p: string;

  constructor(redis: Redis, prefix: string) {
    this.#p = prefix;
    redis.defineCommand('bhTransition', { numberOfKeys: 4, lua: TRANSITION });
    redis.defineCommand('bhInsert', { numberOfKeys: 3, lua: INSERT });
    this.#redis = redis as WithScripts;
  }

  key(id: string): string {
    return `${this.#p}:job:${id}`;
  }

  /** Stores a pending job; resolves to the id that holds its idempotency key (its own, or an earlier job's). */
  async insert(job: NewJob): Promise<string> {
    const pairs: (string | Buffer | number)[] = [
      'id',
      job.id,
      'plugin',
      job.plugin,
      'status',
      'pending',
      'priority',
      job.priority,
      'attempts',
      0,
      'maxAttempts',
      job.maxAttempts,
      'createdAt',
      job.createdAt,
      'input',
      Buffer.from(job.input.buffer, job.input.byteOffset, job.input.byteLength),
    ];
    if (job.idempotencyKey !== null) pairs.push('idem', job.idempotencyKey);
    if (job.timeoutMs !== null) pairs.push('timeoutMs', job.timeoutMs);
    const idem = job.idempotencyKey === null ? '' : `${this.#p}:idem:${job.idempotencyKey}`;
    return this.#redis.bhInsert(idem, this.key(job.id), `${this.#p}:jobs`, job.id, job.createdAt, ...pairs);
  }

  /** Removes a record whose BullMQ job could not be added (so no host will ever take it). */
  async discard(id: string, idempotencyKey: string | null): Promise<void> {
    const m = this.#redis.multi().del(this.key(id)).zrem(`${this.#p}:jobs`, id);
    if (idempotencyKey !== null) m.del(`${this.#p}:idem:${idempotencyKey}`);
    await m.exec();
  }

  /**
   * Moves a job from one of `from` to `to` (null: status unchanged), with its events and field
   * changes, and publishes `message` on `channel` if it applied, in one script. 0: its status was
   * none of `from` (or it is gone); 1: applied; 2: applied, and a cancel was asked for it.
   */
  transition(
    id: string,
    from: JobStatus[],
    to: JobStatus | null,
    fields: Fields = {},
    events: JobEvent[] = [],
    publish?: { channel: string; message: string },
  ): Promise<0 | 1 | 2> {
    const args: (string | Buffer | number)[] = [
      this.key(id),
      `${this.#p}:running`,
      `${this.#p}:finished`,
      `${this.key(id)}:events`,
      id,
      from.join(','),
      to ?? '',
      Date.now(),
      publish?.channel ?? '',
      publish?.message ?? '',
      events.length,
      ...events.map((e) => JSON.stringify(e)),
    ];
    for (const [k, v] of Object.entries(fields)) args.push(k, v === null || v === undefined ? '' : v);
    return this.#redis.bhTransition(...args);
  }

  async setFields(id: string, fields: Fields): Promise<void> {
    const set: (string | Buffer | number)[] = [];
    const del: string[] = [];
    for (const [k, v] of Object.entries(fields)) {
      if (v === null || v === undefined) del.push(k);
      else set.push(k, v);
    }
    const m = this.#redis.multi();
    // Only on a job that still exists: a late progress write must not resurrect a pruned job.
    if (set.length > 0) m.hset(this.key(id), ...(set as [string, string]));
    if (del.length > 0) m.hdel(this.key(id), ...del);
    if (set.length > 0 || del.length > 0) await m.exec();
  }

  async appendEvent(id: string, event: JobEvent): Promise<void> {
    await this.#redis.rpush(`${this.key(id)}:events`, JSON.stringify(event));
  }

  async appendLogs(id: string, entries: LogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const key = `${this.key(id)}:logs`;
    await this.#redis
      .multi()
      .rpush(key, ...entries.map((e) => JSON.stringify(e)))
      .ltrim(key, -LOG_LIMIT, -1)
      .exec();
  }

  async logs(id: string, limit?: number): Promise<LogEntry[]> {
    const start = limit === undefined ? 0 : -Math.max(1, limit);
    const rows = await this.#redis.lrange(`${this.key(id)}:logs`, start, -1);
    return rows.map((r) => JSON.parse(r) as LogEntry);
  }

  async get(id: string): Promise<RedisJobRecord | null> {
    const [one] = await this.getMany([id]);
    return one ?? null;
  }

  /** Records in the order of `ids` (null for a missing one), in one round trip. */
  async getMany(ids: string[]): Promise<(RedisJobRecord | null)[]> {
    if (ids.length === 0) return [];
    const pipe = this.#redis.pipeline();
    for (const id of ids) {
      pipe.hgetallBuffer(this.key(id));
      pipe.lrange(`${this.key(id)}:events`, 0, -1);
    }
    const out = (await pipe.exec()) ?? [];
    const records: (RedisJobRecord | null)[] = [];
    for (let i = 0; i < ids.length; i++) {
      const hash = out[2 * i]?.[1] as Record<string, Buffer> | undefined;
      const events = (out[2 * i + 1]?.[1] as string[] | undefined) ?? [];
      records.push(hash?.status ? toRecord(hash, events) : null);
    }
    return records;
  }

  async runningIds(): Promise<string[]> {
    return this.#redis.smembers(`${this.#p}:running`);
  }

  async idsWithPrefix(prefix: string, limit: number): Promise<string[]> {
    // Ids are UUIDs: a lexicographic range over a zset of equal scores would need a second index;
    // a scan of ids is fine at the history sizes retention keeps (10,000 by default).
    const ids = await this.#redis.zrange(`${this.#p}:jobs`, 0, -1);
    return ids.filter((id) => id.startsWith(prefix)).slice(0, limit);
  }

  /** Newest first by creation, filtered; the cursor is `createdAt:id` of the last job returned. */
  async list(filter: JobFilter = {}): Promise<JobPage> {
    const limit = filter.limit ?? 100;
    const statuses = filter.status === undefined ? null : [filter.status].flat();
    const text = filter.text?.toLowerCase();
    let max = filter.until === undefined ? '+inf' : `(${filter.until}`;
    let after: { at: number; id: string } | null = null;
    if (filter.cursor) {
      const [at, id] = filter.cursor.split(':');
      after = { at: Number(at), id: id ?? '' };
      max = String(after.at);
    }
    const min = filter.since === undefined ? '-inf' : String(filter.since);
    const jobs: JobRecord[] = [];
    let offset = 0;
    const chunk = Math.max(50, limit * 2);
    for (;;) {
      const rows = await this.#redis.zrevrangebyscore(
        `${this.#p}:jobs`,
        max,
        min,
        'WITHSCORES',
        'LIMIT',
        offset,
        chunk,
      );
      if (rows.length === 0) break;
      offset += rows.length / 2;
      const ids: string[] = [];
      for (let i = 0; i < rows.length; i += 2) {
        const id = rows[i] as string;
        const at = Number(rows[i + 1]);
        // Equal times: ids descending, as the SQLite store pages.
        if (after !== null && at === after.at && id >= after.id) continue;
        ids.push(id);
      }
      for (const job of await this.getMany(ids)) {
        if (job === null) continue;
        if (statuses !== null && !statuses.includes(job.status)) continue;
        if (filter.plugin !== undefined && job.plugin !== filter.plugin) continue;
        if (text !== undefined && !matches(job, text)) continue;
        jobs.push(job);
        if (jobs.length > limit) break;
      }
      if (jobs.length > limit) break;
    }
    const page = jobs.slice(0, limit);
    const last = page.at(-1);
    return { jobs: page, next: jobs.length > limit && last ? `${last.createdAt}:${last.id}` : null };
  }

  /** Finished jobs, newest finished first. */
  async recent(limit: number): Promise<JobRecord[]> {
    const ids = await this.#redis.zrevrange(`${this.#p}:finished`, 0, limit - 1);
    return (await this.getMany(ids)).filter((j): j is RedisJobRecord => j !== null);
  }

  /** Drops finished jobs beyond the policy (count, age, statuses; bytes counted from the stored values). */
  async prune(policy: RetentionPolicy): Promise<number> {
    const ids = await this.#redis.zrevrange(`${this.#p}:finished`, 0, -1);
    const jobs = (await this.getMany(ids)).filter((j): j is RedisJobRecord => j !== null);
    const statuses = policy.status ?? TERMINAL_STATUSES;
    const now = Date.now();
    const drop: JobRecord[] = [];
    let kept = 0;
    let bytes = 0;
    for (const job of jobs) {
      if (!statuses.includes(job.status)) continue;
      const size = job.input.byteLength + (job.result?.byteLength ?? 0);
      const tooOld = policy.maxAgeMs !== undefined && now - (job.finishedAt ?? now) > policy.maxAgeMs;
      const tooMany = policy.maxCount !== undefined && kept >= policy.maxCount;
      const tooBig = policy.maxBytes !== undefined && bytes + size > policy.maxBytes;
      if (tooOld || tooMany || tooBig) drop.push(job);
      else {
        kept++;
        bytes += size;
      }
    }
    if (drop.length === 0) return 0;
    const m = this.#redis.multi();
    for (const job of drop) {
      m.del(this.key(job.id), `${this.key(job.id)}:events`, `${this.key(job.id)}:logs`);
      m.zrem(`${this.#p}:jobs`, job.id).zrem(`${this.#p}:finished`, job.id);
      if (job.idempotencyKey !== null) m.del(`${this.#p}:idem:${job.idempotencyKey}`);
    }
    await m.exec();
    return drop.length;
  }
}

function matches(job: JobRecord, text: string): boolean {
  if (job.id.toLowerCase().includes(text) || job.plugin.toLowerCase().includes(text)) return true;
  if (job.error?.message.toLowerCase().includes(text)) return true;
  return job.timeline.some((e) => e.detail?.toLowerCase().includes(text));
}

function num(b: Buffer | undefined): number | null {
  return b === undefined ? null : Number(b.toString());
}

function toRecord(h: Record<string, Buffer>, events: string[]): RedisJobRecord {
  const text = (k: string) => h[k]?.toString() ?? null;
  const json = <T>(k: string): T | null => {
    const t = text(k);
    return t === null ? null : (JSON.parse(t) as T);
  };
  return {
    id: text('id') ?? '',
    plugin: text('plugin') ?? '',
    input: new Uint8Array(h.input ?? Buffer.alloc(0)),
    status: (text('status') ?? 'pending') as JobStatus,
    priority: num(h.priority) ?? 0,
    rank: 0,
    idempotencyKey: text('idem'),
    attempts: num(h.attempts) ?? 0,
    maxAttempts: num(h.maxAttempts) ?? 1,
    timeoutMs: num(h.timeoutMs),
    createdAt: num(h.createdAt) ?? 0,
    startedAt: num(h.startedAt),
    finishedAt: num(h.finishedAt),
    result: h.result === undefined ? null : new Uint8Array(h.result),
    error: json('error'),
    progress: json('progress'),
    timeline: events.map((e) => JSON.parse(e) as JobEvent),
    host: text('host'),
    cancelAsked: text('cancel') === '1',
  };
}
