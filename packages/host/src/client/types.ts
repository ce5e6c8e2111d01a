/**
 * The client's types, taken from the same zod declarations the server's routes are checked
 * against (type-only imports: the client never loads zod).
 * @module
 */
import type { z } from 'zod';
import type { LogEntry as LogEntrySchema } from '../server/schemas/common.js';
import type {
  Explanation as ExplanationSchema,
  JobEvent as JobEventSchema,
  Job as JobSchema,
  ListQuery as ListQuerySchema,
  QueueState as QueueStateSchema,
  SubmitBody as SubmitBodySchema,
} from '../server/schemas/jobs.js';
import type {
  ConfigApplied as ConfigAppliedSchema,
  Health as HealthSchema,
  Hosts as HostsSchema,
  PluginSummary as PluginSummarySchema,
  Schemas as SchemasSchema,
  SystemView as SystemViewSchema,
  Telemetry as TelemetrySchema,
} from '../server/schemas/plugins.js';

/** A job as the API shows it; `input` and `result` are decoded (bytes are Uint8Array again). */
export type Job = z.output<typeof JobSchema>;
export type JobEvent = z.output<typeof JobEventSchema>;
export type JobStatus = Job['status'];
export type Explanation = z.output<typeof ExplanationSchema>;
export type QueueState = z.output<typeof QueueStateSchema>;
export type ListQuery = z.input<typeof ListQuerySchema>;
export type SubmitOptions = NonNullable<z.input<typeof SubmitBodySchema>['options']>;
export type LogEntry = z.output<typeof LogEntrySchema>;
export type PluginSummary = z.output<typeof PluginSummarySchema>;
export type PluginSchemas = z.output<typeof SchemasSchema>;
export type PluginStats = z.output<typeof TelemetrySchema>;
export type ConfigApplied = z.output<typeof ConfigAppliedSchema>;
export type SystemView = z.output<typeof SystemViewSchema>;
export type Health = z.output<typeof HealthSchema>;
export type Hosts = z.output<typeof HostsSchema>;

/** One message of `GET /api/events` (docs/server.md, "Events"). */
export type ServerEvent =
  | { id: number; type: 'job'; data: { id: string; plugin: string; status: JobStatus } & Record<string, unknown> }
  | { id: number; type: 'progress'; data: { id: string; fraction?: number; message?: string } }
  | { id: number; type: 'job.log'; data: { id: string; entry: LogEntry } }
  | { id: number; type: 'plugin'; data: { name: string; state: string; previous: string } }
  | { id: number; type: 'plugin.log'; data: { name: string; entry: LogEntry } }
  | { id: number; type: 'resources'; data: SystemView & { plugins: PluginStats[] } }
  | { id: number; type: 'reset'; data: { reason: string } };
