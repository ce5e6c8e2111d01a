/**
 * `@bulkhead/sdk/protocol`: the wire format shared by the worker and the host.
 * Any new export added here becomes public API. Named exports only.
 * @module
 */
export { errorFromWire, isWireError, type WireError } from '../errors.js';
export { Channel, type ChannelHandlers } from './channel.js';
export { decodeBody, encodeFrame, FrameDecoder } from './frame.js';
export {
  DEFAULT_HANDOFF_BYTES,
  FILE_KEY,
  type FileHandoff,
  type HandoffDir,
  handoff,
  isFileHandoff,
  readHandoff,
  writeHandoff,
} from './handoff.js';
export {
  type CancelParams,
  type Capabilities,
  type ChunkParams,
  type ExecuteParams,
  type InitializeParams,
  type InitializeResult,
  isNotification,
  isRequest,
  type LogLevel,
  type LogParams,
  type Message,
  Methods,
  type NotificationMessage,
  Notifications,
  type ProgressParams,
  type PullParams,
  type RequestMessage,
  type ResponseMessage,
  type StatsResult,
  type StreamParams,
  type StreamResult,
} from './messages.js';
export { BIN_KEY, preparePayload, revivePayload, VIEW_TYPES } from './payload.js';
export { assertCompatible, DEFAULT_MAX_FRAME_BYTES, majorOf, PROTOCOL_VERSION } from './version.js';
