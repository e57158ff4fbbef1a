import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import type { FetchLike } from '../shared/fetch.js';
import type { Logger } from '../shared/logger.js';
import { randomToken, type SecretBox, sha256 } from '../shared/secret-box.js';
import type { AuthorizationServerResolver } from './authorization-server.js';
import { requestTokens, TokenEndpointError } from './token-endpoint.js';
import type { TokenManager } from './token-manager.js';
import type { WpsConnectionsRepository } from './wps-connections.repository.js';

export type CallbackOutcome =
  | { status: 'connected'; userId: string }
  | {
      status: 'failed';
      reason:
        | 'missing_state'
        | 'unknown_state'
        | 'expired_state'
        | 'used_state'
        | 'denied'
        | 'wps_error'
        | 'exchange_failed'
        | 'wps_unavailable';
      message: string;
    };

/**
 * The authorization-code flow for many users at once. Each started authorization is its own row, keyed by
 * the hash of its single-use `state` and holding its own PKCE verifier, so two tabs (or the MCP SDK's
 * background retries) can never overwrite each other's verifier; the callback finds the user by `state`.
 */
export function createAuthorizationFlow(options: {
  repository: WpsConnectionsRepository;
  tokenManager: TokenManager;
  resolver: AuthorizationServerResolver;
  secretBox: SecretBox;
  clock: Clock;
  fetch: FetchLike;
  logger: Logger;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scopes: string[];
  ttlMs: number;
}) {
  const { repository, clock, secretBox, logger } = options;

  return {
    /** Starts an authorization for the user and returns the WPS URL to send them to. */
    async start(userId: string): Promise<{ authorizeUrl: string; expiresAt: number }> {
      const endpoints = await options.resolver.resolve();
      const state = randomToken(32);
      const codeVerifier = endpoints.pkce ? randomToken(48) : undefined;
      const now = clock.now();
      const expiresAt = now + options.ttlMs;
      repository.insertPendingAuthorization({
        stateHash: sha256(state),
        userId,
        codeVerifierCiphertext: codeVerifier ? secretBox.seal(codeVerifier) : null,
        redirectUri: options.redirectUri,
        tokenUrl: endpoints.tokenUrl,
        scopes: options.scopes.join(','),
        createdAt: now,
        expiresAt,
      });
      const url = new URL(endpoints.authorizeUrl);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', options.clientId);
      url.searchParams.set('redirect_uri', options.redirectUri);
      // WPS rejects space-separated scopes with invalid_scope: they must be joined with commas.
      url.searchParams.set('scope', options.scopes.join(','));
      url.searchParams.set('state', state);
      if (codeVerifier) {
        url.searchParams.set('code_challenge', createHash('sha256').update(codeVerifier).digest('base64url'));
        url.searchParams.set('code_challenge_method', 'S256');
      }
      return { authorizeUrl: url.toString(), expiresAt };
    },

    /** Handles WPS's redirect back. Nothing is stored unless the code exchange succeeds. */
    async complete(query: { code?: string; state?: string; error?: string }): Promise<CallbackOutcome> {
      if (!query.state)
        return { status: 'failed', reason: 'missing_state', message: 'The callback has no state parameter.' };
      const claim = repository.claimPendingAuthorization(sha256(query.state), clock.now());
      if (claim.status !== 'claimed') {
        const reasons = {
          unknown: ['unknown_state', 'This authorization link is unknown. Start again from the app.'],
          expired: [
            'expired_state',
            'This authorization took too long and expired. Start again from the app.',
          ],
          used: ['used_state', 'This authorization has already been used. Start again from the app.'],
        } as const;
        const [reason, message] = reasons[claim.status];
        return { status: 'failed', reason, message };
      }
      const pending = claim.row;
      if (query.error) {
        const denied = query.error === 'access_denied';
        return {
          status: 'failed',
          reason: denied ? 'denied' : 'wps_error',
          message: denied
            ? 'You declined the authorization; nothing was connected.'
            : `WPS reported an error: ${query.error.slice(0, 100)}.`,
        };
      }
      if (!query.code)
        return {
          status: 'failed',
          reason: 'exchange_failed',
          message: 'The callback has no authorization code.',
        };
      try {
        const tokens = await requestTokens({
          fetch: options.fetch,
          tokenUrl: pending.tokenUrl,
          clientId: options.clientId,
          clientSecret: options.clientSecret,
          grant: {
            grant_type: 'authorization_code',
            code: query.code,
            redirect_uri: pending.redirectUri,
            ...(pending.codeVerifierCiphertext
              ? { code_verifier: secretBox.open(pending.codeVerifierCiphertext) }
              : {}),
          },
        });
        options.tokenManager.storeAuthorized(pending.userId, tokens, {
          requestedScopes: pending.scopes.split(','),
          tokenUrl: pending.tokenUrl,
        });
        logger.info({ userId: pending.userId }, 'wps connected');
        return { status: 'connected', userId: pending.userId };
      } catch (error) {
        if (!(error instanceof TokenEndpointError)) throw error;
        logger.warn(
          { userId: pending.userId, reason: error.reason, kind: error.kind },
          'wps code exchange failed',
        );
        return error.kind === 'rejected'
          ? {
              status: 'failed',
              reason: 'exchange_failed',
              message: `WPS did not accept the authorization code (${error.reason}). Start again from the app.`,
            }
          : {
              status: 'failed',
              reason: 'wps_unavailable',
              message: 'WPS could not be reached to finish the authorization. Try again shortly.',
            };
      }
    },

    /** A fresh authorize URL for error answers that must tell the user where to reconnect. */
    async authorizeUrlFor(userId: string): Promise<string> {
      return (await this.start(userId)).authorizeUrl;
    },

    sweepExpired(): number {
      return repository.deleteExpiredPendingAuthorizations(clock.now() - 24 * 60 * 60_000);
    },
  };
}

export type AuthorizationFlow = ReturnType<typeof createAuthorizationFlow>;
