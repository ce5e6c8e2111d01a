/**
 * The handshake that makes a spawned worker ready: `initialize` with the protocol version, the
 * config and the offered handoff directory; the worker's answer checked for a compatible version.
 * @module
 */
import {
  assertCompatible,
  type Channel,
  type InitializeResult,
  Methods,
  PROTOCOL_VERSION,
} from '@bulkhead/sdk/protocol';
import type { CallTable } from './call-table.js';

/**
 * The worker's answer. Rejects with what the request ended with (handshakeError() turns it into
 * the start's error) or ERR_PROTOCOL_VERSION. Files are sent through the handoff directory only
 * once the worker said it reads them (a 1.0 worker does not).
 */
export async function handshake(
  calls: Pick<CallTable, 'control'>,
  channel: Channel,
  o: { config: unknown; handoff: { dir: string; minBytes: number } | undefined; timeoutMs: number },
): Promise<InitializeResult> {
  const params = {
    protocolVersion: PROTOCOL_VERSION,
    config: o.config,
    ...(o.handoff !== undefined ? { handoff: o.handoff } : {}),
  };
  const info = (await calls.control(Methods.initialize, params, o.timeoutMs)) as InitializeResult;
  assertCompatible(PROTOCOL_VERSION, String(info?.protocolVersion));
  if (o.handoff !== undefined && info.capabilities?.handoff === true) {
    channel.handoff = { receive: o.handoff.dir, send: o.handoff };
  }
  return info;
}
