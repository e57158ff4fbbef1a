import type { Request, Response } from 'express';
import { protectedResourceMetadataUrl } from '../oauth/discovery-routes.js';
import type { Grant, TokenStore } from '../oauth/token-store.js';
import { type SandboxServerName, SERVER_SCOPES } from '../scopes.js';
import { sendMcpError } from './mcp-errors.js';

export type BearerOutcome = { ok: true; grant: Grant } | { ok: false; status: 401 | 403 };

/**
 * Checks `Authorization: Bearer` and the server's scope, answering the 401/403 itself. A 401 always carries
 * `WWW-Authenticate: Bearer error="invalid_token"`, plus `resource_metadata` when discovery is on (RFC 9728).
 */
export function authenticateMcpRequest(
  request: Request,
  response: Response,
  options: { tokens: TokenStore; serverName: SandboxServerName; baseUrl: string; discovery: boolean },
): BearerOutcome {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const grant = match?.[1] ? options.tokens.verifyAccessToken(match[1]) : undefined;
  if (!grant) {
    const metadata = options.discovery
      ? `, resource_metadata="${protectedResourceMetadataUrl(options.baseUrl, options.serverName)}"`
      : '';
    response.set('WWW-Authenticate', `Bearer error="invalid_token"${metadata}`);
    sendMcpError(response, {
      status: 401,
      error: 'invalid_token',
      description: match
        ? 'access token is invalid, expired or revoked'
        : 'missing Authorization: Bearer header',
    });
    return { ok: false, status: 401 };
  }
  const scope = SERVER_SCOPES[options.serverName];
  if (!grant.scopes.includes(scope)) {
    sendMcpError(response, {
      status: 403,
      error: 'invalid_scope',
      description: `the token lacks scope ${scope}`,
    });
    return { ok: false, status: 403 };
  }
  return { ok: true, grant };
}
