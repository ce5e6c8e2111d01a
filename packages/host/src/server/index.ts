/**
 * `bulkhead/server`: the HTTP API, live events and dashboard of a Bulkhead host (docs/server.md).
 * A subpath of its own, so an application that only embeds the queue never loads Fastify.
 * @module
 */
export { type AppOptions, buildApp, DASHBOARD_DIR, type HostInfo } from './app.js';
export { loadOrCreateToken, TOKEN_COOKIE, tokenPath } from './auth.js';
export { EventHub, type EventHubOptions, type HubEvent, type HubEventType, type HubListeners } from './event-hub.js';
export { type ErrorBody, errorReply, HTTP_STATUS } from './http-status.js';
export { type BulkheadServer, DEFAULT_PORT, type ServeOptions, serve } from './serve.js';
export type { DroppedClient, SseOptions } from './sse-stream.js';
