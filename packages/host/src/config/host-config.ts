/**
 * The host's settings: `<home>/config.yaml` (schema-checked, every problem with its line and
 * column), then `BULKHEAD_*` environment variables, then flags, each overriding the one before.
 * One table ({@link HOST_SETTINGS}) is the schema, the list `bulkhead config --host` shows, and
 * the environment variables' names, so the three cannot drift apart.
 *
 * @example
 * const config = await loadHostConfig(home, process.env, { 'scheduler.policy': 'queue' });
 * const queue = await openJobQueue({ manager, ...queueOptionsOf(config) });
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { PluginsFileIssue } from '../install/plugins-file.js';
import type { MemoryLimitSetting } from '../manager/worker-limits.js';
import { didYouMean } from '../manifest/did-you-mean.js';
import type { SchedulingPolicy } from '../resources/scheduler.js';
import { count, duration, oneOf, redisUrl, type SettingKind, size } from './setting-kinds.js';

/** One setting: its dotted key in the file, its variable, how it is written, and its default. */
export interface HostSetting {
  key: string;
  env: string;
  kind: SettingKind;
  /** Shown by `bulkhead config get --host`; undefined: unset (no limit). */
  default: unknown;
  description: string;
}

export const HOST_SETTINGS: readonly HostSetting[] = [
  {
    key: 'scheduler.policy',
    env: 'BULKHEAD_POLICY',
    kind: oneOf(['queue', 'safety', 'permissive']),
    default: 'queue',
    description: 'a job too big for what is free: queue (wait), safety (refuse) or permissive (run anyway)',
  },
  {
    key: 'scheduler.queueTimeout',
    env: 'BULKHEAD_QUEUE_TIMEOUT',
    kind: duration,
    default: 600_000,
    description: 'queue policy: how long a job may wait for resources',
  },
  {
    key: 'budget.memoryMB',
    env: 'BULKHEAD_BUDGET_MEMORY_MB',
    kind: count(),
    default: undefined,
    description: 'RAM the loaded plugins may declare in all; idle ones are evicted to fit',
  },
  {
    key: 'budget.gpuMemoryMB',
    env: 'BULKHEAD_BUDGET_GPU_MEMORY_MB',
    kind: count(),
    default: undefined,
    description: 'GPU memory the loaded plugins may declare in all',
  },
  {
    key: 'retention.maxCount',
    env: 'BULKHEAD_RETENTION_COUNT',
    kind: count(),
    default: 10_000,
    description: 'finished jobs kept, newest first',
  },
  {
    key: 'retention.maxAge',
    env: 'BULKHEAD_RETENTION_AGE',
    kind: duration,
    default: 7 * 86_400_000,
    description: 'finished jobs older than this are dropped',
  },
  {
    key: 'retention.maxBytes',
    env: 'BULKHEAD_RETENTION_BYTES',
    kind: size,
    default: undefined,
    description: "finished jobs' inputs and results kept in all, newest first",
  },
  {
    key: 'largeValueBytes',
    env: 'BULKHEAD_LARGE_VALUE_BYTES',
    kind: size,
    default: 1024 * 1024,
    description: 'inputs and results larger than this are kept as files beside jobs.db, removed with their job',
  },
  {
    key: 'cancelTimeout',
    env: 'BULKHEAD_CANCEL_TIMEOUT',
    kind: duration,
    default: 5000,
    description: 'a running job that ignores its cancel is killed after this',
  },
  {
    key: 'concurrency',
    env: 'BULKHEAD_CONCURRENCY',
    kind: count(1),
    default: 1,
    description: 'jobs of one plugin at once, where its manifest says nothing',
  },
  {
    key: 'queue.redis',
    env: 'BULKHEAD_REDIS_URL',
    kind: redisUrl,
    default: undefined,
    description: 'share the job queue with other hosts through this Redis (BullMQ); unset: SQLite in the home',
  },
  {
    key: 'attempts',
    env: 'BULKHEAD_ATTEMPTS',
    kind: count(1),
    default: 1,
    description:
      'attempts per job where the submit (`run --attempts`) says nothing; crashes, timeouts and plugin errors are retried',
  },
  {
    key: 'retry.backoff',
    env: 'BULKHEAD_RETRY_BACKOFF',
    kind: duration,
    default: 250,
    description: 'wait before a failed job is tried again; doubles per attempt',
  },
  {
    key: 'retry.backoffMax',
    env: 'BULKHEAD_RETRY_BACKOFF_MAX',
    kind: duration,
    default: 10_000,
    description: 'the most a retry waits',
  },
  {
    key: 'restart.maxCrashes',
    env: 'BULKHEAD_MAX_CRASHES',
    kind: count(1),
    default: 5,
    description: "crashes within restart.window that open a plugin's circuit: its jobs wait, attempts untouched",
  },
  {
    key: 'restart.window',
    env: 'BULKHEAD_CRASH_WINDOW',
    kind: duration,
    default: 60_000,
    description: 'the window restart.maxCrashes counts crashes in',
  },
  {
    key: 'restart.backoffMax',
    env: 'BULKHEAD_RESTART_BACKOFF_MAX',
    kind: duration,
    default: 2_000,
    description: 'the most a crashed worker waits before it restarts (from 100 ms, doubling)',
  },
  {
    key: 'restart.cooldown',
    env: 'BULKHEAD_BREAKER_COOLDOWN',
    kind: duration,
    default: 30_000,
    description: 'an open circuit lets one trial through after this; a trial that crashes doubles it (to 5 minutes)',
  },
  {
    key: 'limits.memory',
    env: 'BULKHEAD_MEMORY_LIMITS',
    kind: oneOf(['auto', 'cgroup-v2', 'cgroup-v1', 'watchdog', 'off']),
    default: 'auto',
    description:
      "how manifests' limits.memoryMB is enforced: auto (a memory cgroup per worker, v2 then v1, else the RSS watchdog), cgroup-v2, cgroup-v1, watchdog, or off (a Node worker's heap cap only)",
  },
];

export type SettingSource = 'default' | 'file' | 'env' | 'flag';

/** One problem: `file:line:column: …` for the file (line 0 for a variable or a flag, which have no place). */
export type HostConfigIssue = PluginsFileIssue;

/** Every setting's value (undefined: unset) and where it came from. */
export interface HostConfig {
  /** `<home>/config.yaml`. */
  file: string;
  values: Record<string, unknown>;
  sources: Record<string, SettingSource>;
}

export function hostConfigPath(home: string): string {
  return join(home, 'config.yaml');
}

/**
 * Reads `<home>/config.yaml` (a missing file is an empty one), then `env`, then `flags` (keyed by
 * setting key). Throws `ERR_HOST_CONFIG_INVALID` listing every problem as `file:line:column: key …`;
 * a bad variable or flag is named as such.
 */
export async function loadHostConfig(
  home: string,
  env: NodeJS.ProcessEnv = process.env,
  flags: Record<string, unknown> = {},
): Promise<HostConfig> {
  const file = hostConfigPath(home);
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    // No file (or no home yet, or a home that is a file, which the home check reports): defaults.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      const message = `${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
      throw invalid(file, [{ file, line: 0, column: 0, path: '', message }], e);
    }
  }
  // The YAML parser and its error wording load only when there is a file: most homes have none,
  // and every command that opens the queue comes through here.
  const fromFile = text === '' ? {} : (await import('./host-config-file.js')).parseHostConfig(text, file);
  const config: HostConfig = { file, values: {}, sources: {} };
  const issues: HostConfigIssue[] = [];
  for (const s of HOST_SETTINGS) {
    config.values[s.key] = s.default;
    config.sources[s.key] = 'default';
    const layers: [SettingSource, unknown, string][] = [
      ['file', fromFile[s.key], ''],
      ['env', env[s.env] === '' ? undefined : env[s.env], `environment variable ${s.env} (${s.key})`],
      ['flag', flags[s.key], `the flag for ${s.key}`],
    ];
    for (const [source, raw, what] of layers) {
      if (raw === undefined) continue;
      const parsed = s.kind.parse(raw);
      if ('expected' in parsed) {
        const message = `${what} must be ${parsed.expected} (found ${JSON.stringify(raw)})`;
        issues.push({ file, line: 0, column: 0, path: s.key, message });
        continue;
      }
      config.values[s.key] = parsed.value;
      config.sources[s.key] = source;
    }
  }
  if (issues.length > 0) throw invalid(file, issues);
  return config;
}

/** What the job queue takes from the settings. */
export function queueOptionsOf(config: HostConfig): {
  scheduler: { policy: SchedulingPolicy; queueTimeoutMs: number };
  retention: { maxCount?: number; maxAgeMs?: number; maxBytes?: number };
  cancelTimeoutMs: number;
  largeValueBytes: number;
  redis?: string;
  maxAttempts: number;
  retryBackoff: { initialMs: number; maxMs: number };
} {
  const v = config.values;
  return {
    scheduler: {
      policy: v['scheduler.policy'] as SchedulingPolicy,
      queueTimeoutMs: v['scheduler.queueTimeout'] as number,
    },
    retention: defined({
      maxCount: v['retention.maxCount'] as number | undefined,
      maxAgeMs: v['retention.maxAge'] as number | undefined,
      maxBytes: v['retention.maxBytes'] as number | undefined,
    }),
    cancelTimeoutMs: v.cancelTimeout as number,
    largeValueBytes: v.largeValueBytes as number,
    ...(typeof v['queue.redis'] === 'string' ? { redis: v['queue.redis'] } : {}),
    maxAttempts: v.attempts as number,
    retryBackoff: { initialMs: v['retry.backoff'] as number, maxMs: v['retry.backoffMax'] as number },
  };
}

/** What the plugin manager takes from the settings. */
export function managerOptionsOf(config: HostConfig): {
  budget?: { memoryMB?: number; gpuMemoryMB?: number };
  defaultConcurrency: number;
  restart: { maxCrashes: number; windowMs: number; backoffMaxMs: number; cooldownMs: number };
  limits: { memory: MemoryLimitSetting };
} {
  const v = config.values;
  const budget = defined({
    memoryMB: v['budget.memoryMB'] as number | undefined,
    gpuMemoryMB: v['budget.gpuMemoryMB'] as number | undefined,
  });
  const restart = {
    maxCrashes: v['restart.maxCrashes'] as number,
    windowMs: v['restart.window'] as number,
    backoffMaxMs: v['restart.backoffMax'] as number,
    cooldownMs: v['restart.cooldown'] as number,
  };
  return {
    ...(Object.keys(budget).length > 0 ? { budget } : {}),
    defaultConcurrency: v.concurrency as number,
    restart,
    limits: { memory: v['limits.memory'] as MemoryLimitSetting },
  };
}

function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}

/** @internal the error every problem with the settings is reported as. */
export function invalid(
  file: string,
  issues: HostConfigIssue[],
  cause?: unknown,
): BulkheadError<'ERR_HOST_CONFIG_INVALID'> {
  // A variable or a flag has no place in the file: its message names it instead.
  const message = issues.map((i) => i.message).join('\n');
  // ConfigIssue's `path` and `message`, with the place; `file` rides beside `issues`, as for plugins.yaml.
  const data = { file, issues };
  return new BulkheadError('ERR_HOST_CONFIG_INVALID', message, data, cause === undefined ? undefined : { cause });
}

/** @internal for `bulkhead config set --host`: the setting a key names, or a problem. */
export function settingFor(key: string): HostSetting | { problem: string } {
  const s = HOST_SETTINGS.find((x) => x.key === key);
  if (s !== undefined) return s;
  const near = didYouMean(
    key,
    HOST_SETTINGS.map((x) => x.key),
  );
  return { problem: `"${key}" is not a host setting${near ? ` (did you mean "${near}"?)` : ''}` };
}
