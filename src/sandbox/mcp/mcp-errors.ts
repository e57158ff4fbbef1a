import type { Response } from 'express';

/**
 * HTTP-level failures of the MCP endpoints, in WPS's `{code, msg, debug}` shape. WPS's real MCP 401 is
 * unknown (wps-facts.md); these codes are the sandbox's own.
 */
export const MCP_ERROR_CODES = {
  invalid_token: 40_100_001,
  invalid_scope: 40_300_005,
  session_account_mismatch: 40_300_006,
  not_found: 40_400_001,
  method_not_allowed: 40_500_001,
  internal_error: 50_000_001,
} as const;

export function sendMcpError(
  response: Response,
  options: { status: number; error: keyof typeof MCP_ERROR_CODES; description: string },
): void {
  response
    .status(options.status)
    .json({ code: MCP_ERROR_CODES[options.error], msg: options.error, debug: { desc: options.description } });
}

/** What the SDK's transports answer for unknown sessions, so SDK clients recognise it and reconnect. */
export function sendSessionNotFound(response: Response): void {
  response
    .status(404)
    .json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
}
