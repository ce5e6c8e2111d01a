/**
 * The plugin and system routes' shapes (see {@link module:common}).
 * @module
 */
import { z } from 'zod';

export const PluginState = z.enum([
  'discovered',
  'loading',
  'ready',
  'busy',
  'unresponsive',
  'crashed',
  'failed',
  'disabled',
]);

export const PluginSummary = z.object({
  name: z.string(),
  version: z.string(),
  category: z.string(),
  description: z.string().optional(),
  state: PluginState,
  enabled: z.boolean(),
  pid: z.number().nullable(),
  lastUsed: z.number().nullable(),
  loadedAt: z.number().nullable(),
  config: z.record(z.string(), z.unknown()),
  resources: z.record(z.string(), z.unknown()),
  inputSchema: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe("JSON Schema of its jobs' input (definePlugin({ input })), null if it declares none"),
  capabilities: z.record(z.string(), z.unknown()),
  crashes: z.number(),
  lastError: z.string().optional(),
  stderrTail: z.array(z.string()).optional(),
  manifestPath: z.string(),
  runtime: z.string().describe('what runs its worker: node, or python'),
});

export const ConfigBody = z.record(z.string(), z.unknown()).describe('a patch: keys to change, merged into the config');
export const ConfigView = z.object({ config: z.record(z.string(), z.unknown()) });
export const ConfigApplied = z.object({
  applied: z.enum(['hot', 'restart', 'stored']),
  config: z.record(z.string(), z.unknown()),
});

export const Schemas = z.object({
  config: z.record(z.string(), z.unknown()).nullable(),
  input: z.record(z.string(), z.unknown()).nullable(),
});

export const Telemetry = z.object({
  name: z.string(),
  state: PluginState,
  pid: z.number().nullable(),
  pids: z.array(z.number()),
  cpuPercent: z.number(),
  rssBytes: z.number(),
  gpuMemoryMB: z.number(),
  uptimeMs: z.number(),
  calls: z.number(),
  errors: z.number(),
  inFlight: z.number(),
  lastDurationMs: z.number().nullable(),
});

const Gpu = z.object({
  index: z.number(),
  uuid: z.string(),
  name: z.string(),
  memoryTotalMB: z.number(),
  memoryUsedMB: z.number(),
  memoryFreeMB: z.number(),
  utilizationPercent: z.number(),
  temperatureC: z.number().nullable(),
  powerW: z.number().nullable(),
});

export const SystemView = z.object({
  system: z.object({
    time: z.number(),
    cpu: z.object({ model: z.string(), cores: z.number(), percent: z.number(), loadavg: z.array(z.number()) }),
    memory: z.object({ totalMB: z.number(), freeMB: z.number(), availableMB: z.number() }),
    gpus: z.array(Gpu),
  }),
  resources: z.object({
    time: z.number(),
    memory: z.object({ capacityMB: z.number(), reservedMB: z.number(), freeMB: z.number() }),
    cpus: z.object({ capacity: z.number(), reserved: z.number(), free: z.number() }),
    gpus: z.array(
      z.object({
        index: z.number(),
        name: z.string(),
        capacityMB: z.number(),
        reservedMB: z.number(),
        freeMB: z.number(),
        jobs: z.number(),
      }),
    ),
    reservations: z.array(z.record(z.string(), z.unknown())),
  }),
});

export const Health = z.object({ ok: z.literal(true), version: z.string(), pid: z.number(), uptimeMs: z.number() });

export const Host = z.object({
  pid: z.number(),
  home: z.string(),
  version: z.string(),
  url: z.string(),
  controlSocket: z.string().nullable(),
  startedAt: z.number(),
});
/** One host sharing a Redis queue, as it last reported itself. */
export const QueueHost = z.object({
  id: z.string(),
  hostname: z.string(),
  pid: z.number(),
  plugins: z.array(z.string()),
  running: z.array(z.string()),
  resources: z.record(z.string(), z.unknown()),
  seenAt: z.number(),
});
export const QueueBackend = z.object({
  kind: z.literal('redis'),
  url: z.string(),
  connected: z.boolean(),
  error: z.string().nullable(),
  host: z.string(),
  hosts: z.array(QueueHost),
});
export const Hosts = z.object({
  hosts: z.array(Host),
  backend: QueueBackend.optional().describe('on a queue shared through Redis: whether it is reachable, and every host'),
});
