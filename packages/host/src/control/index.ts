/**
 * The control socket: one `QueueClient` face over the job queue and the plugin manager, served by
 * the process that owns a home's job database and used by any other (docs/control.md).
 * @module
 */
export { LocalQueueClient, type LocalQueueClientOptions } from './local-client.js';
export {
  type ConnectControlOptions,
  connectControl,
  RemoteQueueClient,
  type RemoteQueueClientEvents,
} from './remote-client.js';
export { ControlServer, type ControlServerEvents, type ControlServerOptions, serveControl } from './server.js';
export { controlSocketPath, MAX_SOCKET_PATH_BYTES } from './socket-path.js';
export type { JobWatchEvent, PluginSchemas, QueueClient, SystemView } from './types.js';
export { CONTROL_PROTOCOL_VERSION, type HelloResult, MAX_LINE_BYTES } from './wire.js';
