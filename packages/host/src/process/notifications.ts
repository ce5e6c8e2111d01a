/**
 * What a worker pushes without being asked: a stream's chunks (within its credit), a call's
 * progress, a `ctx.log` entry (bounded). Unknown notifications are ignored (forward compatibility).
 * @module
 */
import {
  type Channel,
  type ChunkParams,
  type LogParams,
  type Message,
  Notifications,
  type ProgressParams,
} from '@bulkhead/sdk/protocol';
import type { CallTable } from './call-table.js';
import type { LogEntry, LogLevel } from './log-buffer.js';
import type { Progress } from './process-types.js';
import { protocolError } from './worker-errors.js';

export interface NotificationTarget {
  calls: CallTable;
  /** Progress of any call, after the call's own `onProgress`. */
  progress(progress: Progress): void;
  log(source: LogEntry['source'], level: LogLevel, message: string, callId?: number, data?: unknown): void;
  maxLogLineLength: number;
}

/**
 * Every message from the worker: an answer goes to its call, a notification to onNotification,
 * and a request is refused (worker → host requests are reserved for a later protocol minor).
 * Throws ERR_PROTOCOL for a message that breaks the protocol (the worker is then killed).
 */
export function onWorkerMessage(m: Message, t: NotificationTarget, channel: Channel | null): void {
  const msg = m as { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: unknown };
  if (typeof msg.method !== 'string') {
    t.calls.answer(msg.id as number, msg);
    return;
  }
  if (typeof msg.id === 'number') {
    channel?.send({
      id: msg.id,
      error: { code: 'ERR_METHOD_NOT_FOUND', message: `host does not serve "${msg.method}"` },
    });
    return;
  }
  onNotification(msg.method, msg.params, t);
}

/** Throws ERR_PROTOCOL for a notification that breaks the protocol (the worker is then killed). */
export function onNotification(method: string, params: unknown, t: NotificationTarget): void {
  switch (method) {
    case Notifications.chunk: {
      const c = params as ChunkParams;
      if (!Array.isArray(c?.items)) throw protocolError('"$/chunk" without an "items" array');
      const stream = t.calls.get(c.id)?.stream;
      if (stream && !stream._push(c.items)) throw protocolError(`stream ${c.id} sent more chunks than its credit`);
      return;
    }
    case Notifications.progress: {
      const pr = params as ProgressParams;
      const progress: Progress = { callId: pr.id };
      if (typeof pr.fraction === 'number') progress.fraction = pr.fraction;
      if (typeof pr.message === 'string') progress.message = pr.message;
      const onProgress = t.calls.get(pr.id)?.onProgress;
      if (onProgress) guard(() => onProgress(progress));
      t.progress(progress);
      return;
    }
    case Notifications.log: {
      const l = params as LogParams;
      const level: LogLevel = ['debug', 'info', 'warn', 'error'].includes(l?.level) ? l.level : 'info';
      const max = t.maxLogLineLength;
      const text = String(l?.message);
      const message = text.length > max ? `${text.slice(0, max)} …[truncated]` : text;
      t.log('plugin', level, message, l?.id, boundedData(l?.data, max));
      return;
    }
    default:
      return;
  }
}

/** Log data kept only while small: a plugin must not fill the host's memory through ctx.log. */
function boundedData(data: unknown, max: number): unknown {
  if (data === undefined) return undefined;
  if (typeof data === 'object' && data !== null && (ArrayBuffer.isView(data) || data instanceof ArrayBuffer)) {
    return `[${(data as ArrayBufferView).byteLength} bytes]`;
  }
  let text: string;
  try {
    text = JSON.stringify(data) ?? 'undefined';
  } catch {
    return '[data with binary parts omitted]';
  }
  return text.length > max ? `[data of ${text.length} characters omitted]` : data;
}

/** Runs a user callback; an exception in it is the user's bug, reported as a process warning. */
export function guard(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    process.emitWarning(
      `a Bulkhead listener threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      'BulkheadListenerWarning',
    );
  }
}
