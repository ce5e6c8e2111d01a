/**
 * What the worker sends unasked or in answer, made to always go out: an answer whose result or
 * error cannot be sent becomes a smaller error, and a `ctx.log` entry whose data cannot be sent
 * carries that data as text; nothing here throws into plugin code.
 * @module
 */
import { toBulkheadError } from '../errors.js';
import type { Channel } from '../protocol/channel.js';
import { type LogLevel, Notifications } from '../protocol/messages.js';

/** Longest `ctx.log` message sent; longer ones are cut (the host keeps logs bounded). */
const MAX_LOG_MESSAGE = 16 * 1024;

function clip(text: string): string {
  return text.length > MAX_LOG_MESSAGE ? `${text.slice(0, MAX_LOG_MESSAGE)} …[truncated]` : text;
}

export function respond(channel: Channel, id: number, result: unknown): void {
  try {
    channel.send({ id, result: result ?? null });
  } catch (e) {
    respondError(channel, id, e);
  }
}

export function respondError(channel: Channel, id: number, e: unknown): void {
  const err = toBulkheadError(e);
  try {
    channel.send({ id, error: err.toJSON() });
  } catch {
    // The error's data would not serialize, or the whole is too big: send what surely fits.
    try {
      channel.send({ id, error: { code: err.code, message: clip(err.message) } });
    } catch {
      channel.send({ id, error: { code: 'ERR_INTERNAL', message: 'the error could not be sent' } });
    }
  }
}

/** A `$/log` entry (of call `id`, or of the plugin when undefined); what cannot be sent is cut or turned into text. */
export function sendLog(
  channel: Channel,
  id: number | undefined,
  level: LogLevel,
  message: string,
  data?: unknown,
): void {
  const params: Record<string, unknown> = { level, message: clip(String(message)) };
  if (id !== undefined) params.id = id;
  if (data !== undefined) params.data = data;
  try {
    channel.send({ method: Notifications.log, params });
  } catch {
    params.data = clip(String(data));
    try {
      channel.send({ method: Notifications.log, params });
    } catch {
      // nothing sensible left to send
    }
  }
}
