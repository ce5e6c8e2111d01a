/**
 * `bulkhead/client`: talk to `bulkhead serve` over HTTP from any Node (or browser-like) program
 * that has fetch. Needs neither the queue nor Fastify (docs/server.md, "Clients").
 * @module
 */
export { BulkheadClient, type BulkheadClientOptions } from './bulkhead-client.js';
export { readSse, type SseMessage } from './sse-reader.js';
export type {
  ConfigApplied,
  Explanation,
  Health,
  Hosts,
  Job,
  JobEvent,
  JobStatus,
  ListQuery,
  LogEntry,
  PluginSchemas,
  PluginStats,
  PluginSummary,
  QueueState,
  ServerEvent,
  SubmitOptions,
  SystemView,
} from './types.js';
