import {
  discoverOAuthServerInfo,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type { Clock } from '../shared/clock.js';
import type { FetchLike } from '../shared/fetch.js';
import type { Logger } from '../shared/logger.js';

/** Where to send users and code exchanges, and whether the server takes PKCE. */
export interface AuthorizationEndpoints {
  authorizeUrl: string;
  tokenUrl: string;
  /** Only sent when metadata advertises S256: WPS documents no PKCE support. */
  pkce: boolean;
  discovered: boolean;
}

/** Discovered metadata changes rarely; a failed lookup is retried sooner in case WPS was just down. */
const DISCOVERED_TTL_MS = 60 * 60_000;
const FALLBACK_TTL_MS = 5 * 60_000;

/**
 * Resolves WPS's authorization endpoints the way WPS's MCP guide describes: RFC 9728 protected-resource
 * metadata from the MCP server, then RFC 8414 metadata from its authorization server. When nothing is
 * served (the usual case at WPS), the configured endpoints are used, NOT the MCP SDK's `{origin}/authorize`
 * fallback, which is not WPS's.
 */
export function createAuthorizationServerResolver(options: {
  fetch: FetchLike;
  clock: Clock;
  logger: Logger;
  mcpServerUrl: string;
  configured: { authorizeUrl: string; tokenUrl: string };
}) {
  let cached: { value: AuthorizationEndpoints; until: number } | undefined;
  let inFlight: Promise<AuthorizationEndpoints> | undefined;

  /**
   * What an MCP client does first: ask the server without a token. A 401 may name its protected-resource
   * metadata in `WWW-Authenticate` (RFC 9728 §5.1); without one, the well-known locations are tried.
   */
  async function resourceMetadataUrlFromChallenge(): Promise<URL | undefined> {
    try {
      const response = await options.fetch(options.mcpServerUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'ping' }),
        signal: AbortSignal.timeout(10_000),
      });
      await response.body?.cancel().catch(() => undefined);
      return response.status === 401 ? extractWWWAuthenticateParams(response).resourceMetadataUrl : undefined;
    } catch {
      // Unreachable or refusing: the well-known lookups below will tell, and the fallback still applies.
      return undefined;
    }
  }

  async function discover(): Promise<AuthorizationEndpoints> {
    try {
      const resourceMetadataUrl = await resourceMetadataUrlFromChallenge();
      const info = await discoverOAuthServerInfo(options.mcpServerUrl, {
        fetchFn: options.fetch,
        resourceMetadataUrl,
      });
      const metadata = info.authorizationServerMetadata;
      if (metadata?.authorization_endpoint && metadata.token_endpoint) {
        return {
          authorizeUrl: metadata.authorization_endpoint,
          tokenUrl: metadata.token_endpoint,
          pkce: metadata.code_challenge_methods_supported?.includes('S256') ?? false,
          discovered: true,
        };
      }
    } catch (error) {
      options.logger.warn(
        { err: error },
        'authorization server discovery failed; using configured endpoints',
      );
    }
    return { ...options.configured, pkce: false, discovered: false };
  }

  return {
    async resolve(): Promise<AuthorizationEndpoints> {
      if (cached && cached.until > options.clock.now()) return cached.value;
      inFlight ??= discover().then((value) => {
        cached = {
          value,
          until: options.clock.now() + (value.discovered ? DISCOVERED_TTL_MS : FALLBACK_TTL_MS),
        };
        inFlight = undefined;
        return value;
      });
      return inFlight;
    },
  };
}

export type AuthorizationServerResolver = ReturnType<typeof createAuthorizationServerResolver>;
