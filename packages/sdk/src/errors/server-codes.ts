/**
 * The codes of the HTTP server (`bulkhead serve`).
 * @module
 */
import { CLI_EXIT, type CodeTable, final } from './behaviour.js';

export const SERVER_CODES = {
  /** An HTTP request carried no token, or the wrong one. */
  ERR_UNAUTHORIZED: final,
  /** No HTTP route matches the method and path. */
  ERR_ROUTE_NOT_FOUND: final,
  /** An HTTP request body is not valid JSON (or not the content type the route takes). */
  ERR_INVALID_JSON: final,
  /** An HTTP request body is larger than the server accepts. */
  ERR_BODY_TOO_LARGE: final,
  /** `serve` was asked to listen beyond loopback without TLS and without `--insecure`. */
  ERR_INSECURE_BIND: { retryable: false, exit: CLI_EXIT.USAGE },
  /** An event-stream client read too slowly and was dropped, so the server's memory stays bounded. */
  ERR_SLOW_CLIENT: final,
} as const satisfies CodeTable;
