import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

const statusOf = (error: unknown): number | undefined => {
  if (error instanceof StreamableHTTPError) return error.code;
  // The legacy SSE transport reports failed POSTs as plain errors: "Error POSTing to endpoint (HTTP 404): …".
  const match = /\(HTTP (\d{3})\)/.exec(error instanceof Error ? error.message : '');
  return match ? Number(match[1]) : undefined;
};

/**
 * The server no longer knows our session (restart, session expiry): MCP servers answer 404 to a stale
 * `mcp-session-id`, and a request the server never saw is safe to send again on a new session.
 */
export function isSessionLost(error: unknown): boolean {
  if (statusOf(error) === 404) return true;
  return error instanceof Error && /^Not connected$/.test(error.message);
}

/** A server that refuses Streamable HTTP this way probably speaks only the legacy SSE transport. */
export function shouldFallBackToSse(error: unknown): boolean {
  const status = statusOf(error);
  return (
    status !== undefined &&
    status >= 400 &&
    status < 500 &&
    status !== 401 &&
    status !== 403 &&
    status !== 429
  );
}

export function isTimeout(error: unknown): boolean {
  return error instanceof McpError && error.code === ErrorCode.RequestTimeout;
}
