import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { openUnlessKeyRetired, randomToken, type SecretBox, sha256 } from '../shared/secret-box.js';
import type { AuthorizationServerResolver } from './authorization-server.js';
import type { PendingAuthorizationsRepository } from './pending-authorizations.repository.js';

/** A user needs one authorization at a time; a few cover two tabs. Past this the oldest is cancelled. */
export const MAX_LIVE_AUTHORIZATIONS_PER_USER = 3;
/** A reused authorize URL must leave the person time to pass WPS's consent page. */
const REUSE_MIN_REMAINING_MS = 3 * 60_000;
/** Expired rows stay this long so a late replay still reads "expired" or "already used", not "unknown". */
const SWEEP_GRACE_MS = 60 * 60_000;

/**
 * Starting the authorization-code flow for many users at once. Each started authorization is its own row,
 * keyed by the hash of its single-use `state` and holding its own PKCE verifier, so two tabs (or the MCP
 * SDK's background retries) can never overwrite each other's verifier. The callback side is in
 * `authorization-callback.ts`.
 */
export function createAuthorizationFlow(options: {
  repository: PendingAuthorizationsRepository;
  resolver: AuthorizationServerResolver;
  secretBox: SecretBox;
  clock: Clock;
  logger: Logger;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  ttlMs: number;
}) {
  const { repository, clock, secretBox, logger } = options;

  return {
    /** Starts an authorization for the user and returns the WPS URL to send them to. */
    async start(userId: string): Promise<{ authorizeUrl: string; expiresAt: number; stateHash: string }> {
      const endpoints = await options.resolver.resolve();
      const state = randomToken(32);
      const codeVerifier = endpoints.pkce ? randomToken(48) : undefined;
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
      const authorizeUrl = url.toString();
      const now = clock.now();
      const expiresAt = now + options.ttlMs;
      const stateHash = sha256(state);
      await repository.insert({
        stateHash,
        userId,
        codeVerifierCiphertext: codeVerifier ? secretBox.seal(codeVerifier) : null,
        authorizeUrlCiphertext: secretBox.seal(authorizeUrl),
        redirectUri: options.redirectUri,
        tokenUrl: endpoints.tokenUrl,
        scopes: options.scopes.join(','),
        createdAt: now,
        expiresAt,
      });
      const cancelled = await repository.cancelLiveBeyond(userId, MAX_LIVE_AUTHORIZATIONS_PER_USER, now);
      if (cancelled > 0) logger.info({ userId, cancelled }, 'cancelled older pending wps authorizations');
      return { authorizeUrl, expiresAt, stateHash };
    },

    /**
     * A live authorize URL for error answers that must tell the user where to reconnect: the 409s of
     * tools and chat hand out the same pending authorization again rather than a new row each time.
     */
    async authorizeUrlFor(userId: string): Promise<string> {
      const now = clock.now();
      const reusable = await repository.findReusable(userId, now, now + REUSE_MIN_REMAINING_MS);
      const reused = reusable?.authorizeUrlCiphertext
        ? openUnlessKeyRetired(secretBox, reusable.authorizeUrlCiphertext)
        : undefined;
      // Undefined also when sealed with a key this instance lacks (mid-rotation): a new one serves as well.
      if (reused) return reused;
      return (await this.start(userId)).authorizeUrl;
    },

    /** Deletes authorizations that expired over an hour ago (replays of them answer "unknown" then). */
    sweepExpired(): Promise<number> {
      return repository.deleteExpired(clock.now() - SWEEP_GRACE_MS);
    },
  };
}

export type AuthorizationFlow = ReturnType<typeof createAuthorizationFlow>;
