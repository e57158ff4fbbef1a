import type { FetchLike } from '../shared/fetch.js';
import type { TokenManager } from '../wps-auth/token-manager.js';
import { WpsAuthorizationRequiredError } from '../wps-auth/wps-auth.errors.js';

/** Raised from the transport's fetch when WPS answers 403: the token lacks the server's scope. */
export class WpsScopeMissingError extends WpsAuthorizationRequiredError {
  readonly server: string;
  constructor(server: string) {
    super('reauthorization_required');
    this.message = `The WPS authorization does not include the scope for ${server}; connect again to grant it.`;
    this.name = 'WpsScopeMissingError';
    this.server = server;
  }
}

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
      await response.body?.cancel().catch(() => undefined);
      throw new WpsScopeMissingError(options.server);
    }
    return response;
  };
}
