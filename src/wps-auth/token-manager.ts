import { LRUCache } from 'lru-cache';
import { type AgentMetrics, noMetrics } from '../metrics/agent-metrics.js';
import type { Clock } from '../shared/clock.js';
import { errors } from '../shared/errors.js';
import type { FetchLike } from '../shared/fetch.js';
import type { Logger } from '../shared/logger.js';
import { openUnlessKeyRetired, randomToken, type SecretBox, sha256 } from '../shared/secret-box.js';
import { accountNameFromAccessToken } from './account-name.js';
import type { AuthorizationServerResolver } from './authorization-server.js';
import { storedTokenBox } from './stored-token-box.js';
import { type IssuedTokens, requestTokens, TokenEndpointError } from './token-endpoint.js';
import { WpsAuthorizationRequiredError } from './wps-auth.errors.js';
import type {
  SealedTokenPair,
  WpsConnectionRow,
  WpsConnectionsRepository,
} from './wps-connections.repository.js';

/** Longer than one token request may take (15 s timeout), so a live lease means "someone is refreshing". */
const REFRESH_LEASE_MS = 30_000;
/**
 * Longest single wait for another process's refresh before looking at the lease again: a holder that
 * died sends no word, and its lease is taken over once its instance counts as dead.
 */
const LEASE_WAIT_SLICE_MS = 1_000;
/**
 * How long this process trusts its in-memory copy of a fresh access token before reading the database
 * again: saves a query and a decryption per MCP request, yet a disconnect or re-authorization made by
 * another process takes effect within seconds.
 */
const TOKEN_MEMORY_MS = 5_000;
/** Users whose fresh access token is kept in memory; past this the least recently used is forgotten. */
const MAX_REMEMBERED_TOKENS = 5_000;

export interface WpsConnectionStatus {
  status: 'connected' | 'not_connected' | 'reauthorization_required';
  scopes: string[];
  expiresAt: string | null;
  /** The WPS account's name where its token reveals it (the sandbox's do); null when unknown. */
  account: string | null;
}

/**
 * Owns the lifecycle of every user's WPS tokens: hands out access tokens, refreshes them a few minutes
 * before they expire and once after a 401, and stores each rotated pair atomically.
 *
 * Refresh is single-flight per user twice over: within the process (one shared promise) and across
 * processes sharing the database (a lease row plus compare-and-set on the refresh token used). WPS
 * rotates refresh tokens, so two refreshes with one token would leave one caller with a dead token.
 */
export function createTokenManager(options: {
  repository: WpsConnectionsRepository;
  secretBox: SecretBox;
  clock: Clock;
  fetch: FetchLike;
  logger: Logger;
  resolver: AuthorizationServerResolver;
  clientId: string;
  clientSecret: string;
  refreshMarginMs: number;
  rememberedTokensMax?: number;
  /** This process's instance id: the refresh lease names it, so peers can tell when its holder died. */
  instanceId?: string;
  metrics?: AgentMetrics;
}) {
  const { repository, clock, logger, metrics = noMetrics } = options;
  const secretBox = storedTokenBox(options.secretBox, logger);
  const instanceId = options.instanceId ?? randomToken(9);
  const refreshesInFlight = new Map<string, Promise<string>>();
  const remembered = new LRUCache<string, { accessToken: string; until: number }>({
    max: options.rememberedTokensMax ?? MAX_REMEMBERED_TOKENS,
  });
  /**
   * When a token counts as due for refresh: the configured margin before expiry, but never more than
   * half its lifetime, or a server issuing short-lived tokens would see a refresh on every request.
   */
  const refreshDueAt = (row: WpsConnectionRow) =>
    row.accessExpiresAt - Math.min(options.refreshMarginMs, (row.accessExpiresAt - row.updatedAt) / 2);
  const remember = (userId: string, accessToken: string, row: WpsConnectionRow) => {
    const until = Math.min(refreshDueAt(row), clock.now() + TOKEN_MEMORY_MS);
    if (until > clock.now()) remembered.set(userId, { accessToken, until });
  };
  /** The access token read for this user moments ago, while it may still be trusted without a read. */
  const rememberedToken = (userId: string): string | undefined => {
    const known = remembered.get(userId);
    return known && known.until > clock.now() ? known.accessToken : undefined;
  };

  function seal(tokens: IssuedTokens, fallbackScopes: string): SealedTokenPair {
    const now = clock.now();
    return {
      accessTokenCiphertext: secretBox.seal(tokens.accessToken),
      refreshTokenCiphertext: secretBox.seal(tokens.refreshToken),
      refreshTokenHash: sha256(tokens.refreshToken),
      accessExpiresAt: now + tokens.expiresInSeconds * 1000,
      refreshExpiresAt: tokens.refreshExpiresInSeconds ? now + tokens.refreshExpiresInSeconds * 1000 : null,
      scopes: tokens.scopes?.join(',') ?? fallbackScopes,
    };
  }

  async function usableRow(userId: string): Promise<WpsConnectionRow> {
    const row = await repository.find(userId);
    if (!row) throw new WpsAuthorizationRequiredError('not_connected');
    if (row.status === 'reauthorization_required')
      throw new WpsAuthorizationRequiredError('reauthorization_required');
    return row;
  }

  const isFresh = (row: WpsConnectionRow) => refreshDueAt(row) > clock.now();

  /** Refreshes the pair whose refresh token hashes to `seenHash`, unless someone already has. */
  async function refreshFrom(userId: string, seenHash: string): Promise<string> {
    // Real elapsed time, not the injected clock: a test clock may stand still.
    const giveUpAt = performance.now() + REFRESH_LEASE_MS + 5_000;
    for (;;) {
      const row = await usableRow(userId);
      if (row.refreshTokenHash !== seenHash) return secretBox.open(row.accessTokenCiphertext);
      if (
        await repository.acquireRefreshLease({
          userId,
          refreshTokenHash: seenHash,
          owner: instanceId,
          now: clock.now(),
          leaseMs: REFRESH_LEASE_MS,
        })
      ) {
        return performRefresh(userId, row);
      }
      const remainingMs = giveUpAt - performance.now();
      if (remainingMs <= 0) throw errors.upstreamUnavailable('Timed out waiting for a WPS token refresh.');
      // Woken by the holder's write on PostgreSQL (LISTEN/NOTIFY); a short sleep on SQLite.
      await repository.waitForRefresh(userId, Math.min(LEASE_WAIT_SLICE_MS, remainingMs));
    }
  }

  async function performRefresh(userId: string, row: WpsConnectionRow): Promise<string> {
    const started = performance.now(); // a duration, not a point in time: no injected clock needed
    let wpsAnswered = false; // with new tokens: a later failure (storing them) is not a failed refresh
    try {
      // The endpoint that issued the pair; rows from before it was recorded fall back to discovery.
      const tokenUrl = row.tokenUrl ?? (await options.resolver.resolve()).tokenUrl;
      const tokens = await requestTokens({
        fetch: options.fetch,
        tokenUrl,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        grant: { grant_type: 'refresh_token', refresh_token: secretBox.open(row.refreshTokenCiphertext) },
      });
      wpsAnswered = true;
      metrics.tokenRefreshed('ok');
      const pair = seal(tokens, row.scopes);
      if (!(await repository.replaceIfCurrent(userId, row.refreshTokenHash, pair, clock.now()))) {
        // A new authorization landed while we refreshed: it is newer than our pair, so it stays.
        return secretBox.open((await usableRow(userId)).accessTokenCiphertext);
      }
      logger.info({ userId, durationMs: Math.round(performance.now() - started) }, 'wps tokens refreshed');
      return tokens.accessToken;
    } catch (error) {
      await repository.releaseRefreshLease(userId, instanceId);
      if (!wpsAnswered)
        metrics.tokenRefreshed(
          error instanceof TokenEndpointError && error.kind === 'rejected' ? 'rejected' : 'failed',
        );
      if (error instanceof TokenEndpointError && error.kind === 'rejected') {
        if (
          await repository.markReauthorizationRequiredIfCurrent(userId, row.refreshTokenHash, clock.now())
        ) {
          logger.warn(
            { userId, reason: error.reason },
            'wps refused the refresh token; reauthorization required',
          );
          throw new WpsAuthorizationRequiredError('reauthorization_required', { cause: error });
        }
        return secretBox.open((await usableRow(userId)).accessTokenCiphertext);
      }
      if (error instanceof TokenEndpointError) {
        throw errors.upstreamUnavailable(
          `WPS could not refresh the authorization (${error.reason}); try again shortly.`,
          error,
        );
      }
      throw error;
    }
  }

  function singleFlight(userId: string, seenHash: string): Promise<string> {
    remembered.delete(userId);
    const existing = refreshesInFlight.get(userId);
    if (existing) return existing;
    const refresh = refreshFrom(userId, seenHash).finally(() => refreshesInFlight.delete(userId));
    refreshesInFlight.set(userId, refresh);
    return refresh;
  }

  return {
    /** A usable access token, refreshed first when it expires within the margin. */
    async getAccessToken(userId: string): Promise<string> {
      const known = rememberedToken(userId);
      if (known) return known;
      const row = await usableRow(userId);
      if (isFresh(row)) {
        const accessToken = secretBox.open(row.accessTokenCiphertext);
        remember(userId, accessToken, row);
        return accessToken;
      }
      return singleFlight(userId, row.refreshTokenHash);
    },

    /**
     * WPS answered 401 to `rejectedAccessToken`. Refresh once, unless the stored token has already moved
     * on (another request refreshed meanwhile), and return the token to retry with.
     */
    async handleUnauthorized(userId: string, rejectedAccessToken: string): Promise<string> {
      remembered.delete(userId);
      const row = await usableRow(userId);
      const stored = secretBox.open(row.accessTokenCiphertext);
      if (stored !== rejectedAccessToken) return stored;
      return singleFlight(userId, row.refreshTokenHash);
    },

    /** Stores the pair from a completed authorization, replacing anything the user had. */
    async storeAuthorized(
      userId: string,
      tokens: IssuedTokens,
      options_: { requestedScopes: string[]; tokenUrl: string },
    ): Promise<void> {
      remembered.delete(userId);
      await repository.storeAuthorized(
        userId,
        { ...seal(tokens, options_.requestedScopes.join(',')), tokenUrl: options_.tokenUrl },
        clock.now(),
      );
    },

    async forget(userId: string): Promise<boolean> {
      remembered.delete(userId);
      return repository.delete(userId);
    },

    /** Another instance changed this user's connection (see the change feed): read it afresh next time. */
    forgetRemembered(userId: string): void {
      remembered.delete(userId);
    },

    /** The fleet's change feed missed notifications (its connection dropped): trust no remembered token. */
    forgetAllRemembered(): void {
      remembered.clear();
    },

    /** The connection as GET /v1/me shows it: the account name is read from the decrypted access token. */
    async status(userId: string): Promise<WpsConnectionStatus> {
      const row = await repository.find(userId);
      if (!row) return { status: 'not_connected', scopes: [], expiresAt: null, account: null };
      const accessToken =
        row.status === 'connected'
          ? openUnlessKeyRetired(options.secretBox, row.accessTokenCiphertext)
          : undefined;
      return {
        status: stateOf(row, accessToken !== undefined),
        scopes: row.scopes.split(',').filter(Boolean),
        expiresAt: new Date(row.accessExpiresAt).toISOString(),
        account: accessToken ? accountNameFromAccessToken(accessToken) : null,
      };
    },

    /**
     * `status(userId).status` for a chat turn, which needs nothing else: no read at all while the user's
     * token is remembered, and the access token is not decrypted when the key it names is held here. One
     * sealed under a retired or unknown key still answers `reauthorization_required`; a `v1` token is
     * opened to tell.
     */
    async connectionState(userId: string): Promise<WpsConnectionStatus['status']> {
      // A remembered token was read connected and readable moments ago: the trust getAccessToken gives it
      // (a disconnect, 401 or failed refresh here forgets it at once; one elsewhere within seconds).
      if (rememberedToken(userId)) return 'connected';
      const row = await repository.find(userId);
      if (!row) return 'not_connected';
      const readable =
        row.status === 'connected' &&
        (options.secretBox.holdsKeyOf(row.accessTokenCiphertext) ||
          openUnlessKeyRetired(options.secretBox, row.accessTokenCiphertext) !== undefined);
      return stateOf(row, readable);
    },
  };
}

/** A stored token sealed under a key this instance lacks: as good as revoked until the user reconnects. */
function stateOf(row: WpsConnectionRow, readable: boolean): WpsConnectionStatus['status'] {
  return row.status === 'connected' && !readable ? 'reauthorization_required' : row.status;
}

export type TokenManager = ReturnType<typeof createTokenManager>;
