/**
 * The host's settings: `<home>/config.yaml` (schema-checked, every problem with its line and
 * column), then `BULKHEAD_*` environment variables, then flags, each overriding the one before.
 * One table ({@link HOST_SETTINGS}) is the schema, the list `bulkhead config --host` shows, and
 * the environment variables' names, so the three cannot drift apart.
 *
 * @example
 * const config = await loadHostConfig(home, process.env, { 'scheduler.policy': 'queue' });
 * const queue = await JobQueue.open({ manager, ...queueOptionsOf(config) });
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { issuesOf, type PluginsFileIssue } from '../install/plugins-file.js';
import { type ParsedYaml, type Problem, parseYaml } from '../install/plugins-file-yaml.js';
import { didYouMean } from '../manifest/did-you-mean.js';
import type { SchedulingPolicy } from '../resources/scheduler.js';
import { count, duration, oneOf, type SettingKind, size } from './setting-kinds.js';

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
];

export type SettingSource = 'default' | 'file' | 'env' | 'flag';

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
 * setting key). Throws `ERR_CONFIG_INVALID` listing every problem as `file:line:column: key …`;
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
  const fromFile = parseHostConfig(text, file);
  const config: HostConfig = { file, values: {}, sources: {} };
  const issues: PluginsFileIssue[] = [];
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

/**
 * Checks config.yaml's text: a mapping of known settings (nested as in the table, or dotted), each
 * of its kind. Returns the raw values by key (parsed again by {@link loadHostConfig}).
 */
export function parseHostConfig(text: string, file: string): Record<string, unknown> {
  const parsed = parseYaml(text);
  const problems: Problem[] = [...parsed.problems];
  const found: Record<string, unknown> = {};
  if (problems.length === 0) collect(parsed, problems, found);
  if (problems.length > 0) throw invalid(file, issuesOf(file, parsed, problems));
  return found;
}

function collect(parsed: ParsedYaml, problems: Problem[], found: Record<string, unknown>): void {
  const data = parsed.doc.toJS() as unknown;
  if (data === null || data === undefined) return;
  if (typeof data !== 'object' || Array.isArray(data)) {
    problems.push({
      path: [],
      offset: 0,
      message: 'must be a mapping of settings, e.g. "scheduler: { policy: queue }"',
    });
    return;
  }
  const keys = HOST_SETTINGS.map((s) => s.key);
  const groups = new Set(keys.filter((k) => k.includes('.')).map((k) => k.split('.')[0]!));
  const visit = (value: unknown, path: string[]) => {
    const key = path.join('.');
    const setting = HOST_SETTINGS.find((s) => s.key === key);
    if (setting !== undefined) {
      const r = setting.kind.parse(value);
      if ('expected' in r) problems.push({ path, message: `must be ${r.expected} (found ${JSON.stringify(value)})` });
      else found[key] = value;
      return;
    }
    if (path.length === 1 && groups.has(key) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
      return;
    }
    if (path.length === 1 && groups.has(key)) {
      problems.push({ path, message: `must be a mapping (${keys.filter((k) => k.startsWith(`${key}.`)).join(', ')})` });
      return;
    }
    const candidates =
      path.length === 1 ? [...keys.filter((k) => !k.includes('.')), ...groups] : keys.map((k) => k.split('.').at(-1)!);
    const near = didYouMean(path.at(-1)!, candidates);
    const message = `has unknown field "${path.at(-1)}"${near ? ` (did you mean "${near}"?)` : ''}`;
    problems.push({ path: path.slice(0, -1), at: path, atKey: true, message });
  };
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    // A dotted key written flat (`scheduler.policy: queue`) is the same setting.
    visit(v, k.split('.'));
  }
}

/** What the job queue takes from the settings. */
export function queueOptionsOf(config: HostConfig): {
  scheduler: { policy: SchedulingPolicy; queueTimeoutMs: number };
  retention: { maxCount?: number; maxAgeMs?: number; maxBytes?: number };
  cancelTimeoutMs: number;
  largeValueBytes: number;
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
  };
}

/** What the plugin manager takes from the settings. */
export function managerOptionsOf(config: HostConfig): {
  budget?: { memoryMB?: number; gpuMemoryMB?: number };
  defaultConcurrency: number;
} {
  const v = config.values;
  const budget = defined({
    memoryMB: v['budget.memoryMB'] as number | undefined,
    gpuMemoryMB: v['budget.gpuMemoryMB'] as number | undefined,
  });
  return { ...(Object.keys(budget).length > 0 ? { budget } : {}), defaultConcurrency: v.concurrency as number };
}

function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}

function invalid(file: string, issues: PluginsFileIssue[], cause?: unknown): BulkheadError<'ERR_CONFIG_INVALID'> {
  // A variable or a flag has no place in the file: its message names it instead.
  const message = issues.map((i) => i.message).join('\n');
  // ConfigIssue's `path` and `message`, with the place; `file` rides beside `issues`, as for plugins.yaml.
  const data = { file, issues };
  return new BulkheadError('ERR_CONFIG_INVALID', message, data, cause === undefined ? undefined : { cause });
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
