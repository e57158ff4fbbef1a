import type { FetchLike } from '../shared/fetch.js';
import type { TokenManager } from '../wps-auth/token-manager.js';

/**
 * Raised from the transport's fetch when WPS answers 403 `invalid_scope`: the token lacks this one
 * server's scope. Deliberately NOT an authorization-required error: the user's authorization is fine for
 * the other servers, and asking them to reconnect would request the same scopes again, forever. The tool
 * catalogue leaves the server out and says why.
 */
export class WpsScopeMissingError extends Error {
  readonly server: string;
  constructor(server: string) {
    super(`The WPS authorization does not include the scope for ${server}.`);
    this.name = 'WpsScopeMissingError';
    this.server = server;
  }
}

/** WPS's 403 for a missing scope: `{"code":40300005,"msg":"invalid_scope",...}` (wps-facts.md). */
const MISSING_SCOPE = /invalid_scope|insufficient_scope|40300005/;

/**
 * The fetch every MCP transport of one user uses: adds that user's current WPS access token, and on a 401
 * refreshes once (single-flight, through the token manager) and retries the request once. This replaces
 * the MCP SDK's `authProvider`, whose reactive refresh races and wipes fresh tokens (stack-notes.md).
 */
export function createAuthenticatedFetch(options: {
  userId: string;
  server: string;
  tokenManager: TokenManager;
  fetch: FetchLike;
}): FetchLike {
  const send = (url: string | URL, init: RequestInit | undefined, token: string) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    return options.fetch(url, { ...init, headers });
  };
  return async (url, init) => {
    const token = await options.tokenManager.getAccessToken(options.userId);
    let response = await send(url, init, token);
    if (response.status === 401) {
      await response.body?.cancel().catch(() => undefined);
      const retryToken = await options.tokenManager.handleUnauthorized(options.userId, token);
      response = await send(url, init, retryToken);
    }
    if (response.status === 403) {
      // Read a copy: any other 403 goes on to the transport as it came, and fails there as itself.
      const body = await response
        .clone()
        .text()
        .catch(() => '');
      if (MISSING_SCOPE.test(body) || /invalid_scope/.test(response.headers.get('www-authenticate') ?? '')) {
        await response.body?.cancel().catch(() => undefined);
        throw new WpsScopeMissingError(options.server);
      }
    }
    return response;
  };
}
