/**
 * Server-Sent Events read from a fetch body, as EventSource reads them (the WHATWG parsing rules:
 * `id`, `event`, `data`, `retry` fields, an event per blank line). Node 20 has no EventSource, and
 * an EventSource cannot send an Authorization header anyway.
 * @module
 */

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/** Yields each message of the stream until it ends; `lastId` tracks the newest id seen. */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  state: { lastId: string | null; retryMs?: number } = { lastId: null },
): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let nl = buffer.search(/\r\n|\r|\n/);
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? 2 : 1));
        if (line === '') {
          if (data.length > 0) yield { id: state.lastId, event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let v = colon < 0 ? '' : line.slice(colon + 1);
          if (v.startsWith(' ')) v = v.slice(1);
          if (field === 'data') data.push(v);
          else if (field === 'event') event = v;
          else if (field === 'id' && !v.includes('\0')) state.lastId = v;
          else if (field === 'retry' && /^\d+$/.test(v)) state.retryMs = Number(v);
        }
        nl = buffer.search(/\r\n|\r|\n/);
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => {});
  }
}
