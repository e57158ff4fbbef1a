import { createServer, type RequestListener, type Server } from 'node:http';

/** The agent's HTTP server, with the connection timeouts of `applyServerTimeouts`. */
export function createHttpServer(app: RequestListener, options: { keepAliveTimeoutMs: number }): Server {
  return applyServerTimeouts(createServer(app), options);
}

/**
 * Idle keep-alive connections are kept for `keepAliveTimeoutMs` (65 s by default) instead of Node's 5 s: a
 * client or proxy that pauses between requests keeps its connection rather than opening a new one, which
 * a saturated server accepts late. In the bench, the turns that had to reconnect waited up to 5 s for the
 * accept and made the whole p99 (docs/benchmarks.md, "The 100-user tail was reconnects"). The headers
 * timeout stays above it, so that a kept connection's next request is not cut by it.
 */
export function applyServerTimeouts(server: Server, options: { keepAliveTimeoutMs: number }): Server {
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.headersTimeout = Math.max(server.headersTimeout, options.keepAliveTimeoutMs + 1_000);
  return server;
}
