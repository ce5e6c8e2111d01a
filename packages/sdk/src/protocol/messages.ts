/**
 * Message shapes and method names of the Bulkhead protocol (docs/protocol.md is the reference).
 * Messages are JSON-RPC 2.0 shaped without the `jsonrpc` member: a request has `id` and `method`,
 * a notification only `method`, a response `id` and one of `result` or `error`.
 * @module
 */
import type { WireError } from '../errors.js';

export interface RequestMessage {
  id: number;
  method: string;
  params?: unknown;
}
export interface NotificationMessage {
  method: string;
  params?: unknown;
}
export interface ResponseMessage {
  id: number;
  result?: unknown;
  error?: WireError;
}
export type Message = RequestMessage | NotificationMessage | ResponseMessage;

/** Requests the host sends; the worker answers each with one response. */
export const Methods = {
  initialize: 'initialize',
  execute: 'execute',
  stream: 'stream',
  configure: 'configure',
  stats: 'stats',
  ping: 'ping',
  shutdown: 'shutdown',
} as const;

/** Notifications (no response). `$/cancel` and `$/pull` go host → worker, the rest worker → host. */
export const Notifications = {
  cancel: '$/cancel',
  pull: '$/pull',
  progress: '$/progress',
  chunk: '$/chunk',
  log: '$/log',
} as const;

export interface InitializeParams {
  protocolVersion: string;
  config?: unknown;
  /** Since 1.1: the host's handoff directory (docs/protocol.md 3.1). */
  handoff?: { dir: string; minBytes: number };
}

export interface Capabilities {
  execute: boolean;
  stream: boolean;
  cancel: boolean;
  progress: boolean;
  configure: boolean;
  binary: boolean;
  /** Since 1.1: the worker reads and writes `$file` references (docs/protocol.md 3.1). */
  handoff?: boolean;
}

export interface InitializeResult {
  protocolVersion: string;
  name: string;
  version: string;
  description?: string;
  /** JSON Schema (draft 2020-12) of the config, with defaults; null when the plugin takes none. */
  configSchema: Record<string, unknown> | null;
  /** The config after defaults were applied. */
  config: unknown;
  /** JSON Schema of `execute`'s input, when the plugin declares one (`definePlugin({ input })`). */
  inputSchema?: Record<string, unknown> | null;
  capabilities: Capabilities;
  pid: number;
  runtime: string;
}

export interface ExecuteParams {
  input?: unknown;
}
export interface StreamParams {
  input?: unknown;
  /** How many chunks the worker may send before it waits for `$/pull`. */
  credit: number;
}
export interface StreamResult {
  chunks: number;
}
export interface CancelParams {
  id: number;
  reason?: string;
}
export interface PullParams {
  id: number;
  n: number;
}
export interface ProgressParams {
  id: number;
  /** 0..1, or absent when the amount of work is unknown. */
  fraction?: number;
  message?: string;
}
export interface ChunkParams {
  id: number;
  items: unknown[];
}
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export interface LogParams {
  id?: number;
  level: LogLevel;
  message: string;
  data?: unknown;
}
export interface StatsResult {
  pid: number;
  rssBytes: number;
  heapUsedBytes: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
  uptimeMs: number;
  inFlight: number;
}

export function isRequest(m: Message): m is RequestMessage {
  return 'method' in m && 'id' in m;
}
export function isNotification(m: Message): m is NotificationMessage {
  return 'method' in m && !('id' in m);
}
