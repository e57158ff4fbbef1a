import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';

/** Who granted what to which app; carried by codes, access tokens and refresh tokens alike. */
export interface Grant {
  account: string;
  clientId: string;
  scopes: string[];
}

export interface AuthorizationCode extends Grant {
  redirectUri: string;
  /** S256 PKCE challenge, when the authorization request carried one. */
  codeChallenge?: string;
  expiresAt: number;
}

export interface IssuedToken extends Grant {
  expiresAt: number;
}

/** The flat success body of WPS's token endpoint. */
export interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_token: string;
  /** A string, as WPS documents it. */
  refresh_expires_in: string;
  token_type: 'bearer';
  scope: string;
}

export type RefreshOutcome =
  | { status: 'rotated'; tokens: TokenResponse }
  | { status: 'invalid'; reason: string };

/** WPS codes live 10 minutes. */
const CODE_TTL_MS = 10 * 60 * 1000;

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export interface TokenStore {
  issueCode(grant: Grant & { redirectUri: string; codeChallenge?: string }): string;
  /** Removes the code whatever happens next: a code is good for one attempt only. */
  takeCode(code: string): AuthorizationCode | undefined;
  issueTokens(grant: Grant): TokenResponse;
  /**
   * Rotates a refresh token. Synchronous on purpose: the check and the delete happen in one turn of the
   * event loop, so of two concurrent refreshes with the same token exactly one wins.
   */
  refresh(refreshToken: string, clientId: string): RefreshOutcome;
  /** The grant behind a valid, unexpired access token. */
  verifyAccessToken(token: string): IssuedToken | undefined;
  revokeAccount(account: string): void;
  issued(): string[];
  /** The unexpired access and refresh tokens, to be restored after a restart (codes live minutes: not kept). */
  snapshot(): TokenStoreSnapshot;
}

export interface TokenStoreSnapshot {
  accessTokens: [string, IssuedToken][];
  refreshTokens: [string, IssuedToken][];
}

export function createTokenStore(options: {
  clock: Clock;
  issuer: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  restore?: TokenStoreSnapshot;
}): TokenStore {
  const { clock, issuer, accessTokenTtlSeconds, refreshTokenTtlSeconds } = options;
  const codes = new Map<string, AuthorizationCode>();
  const accessTokens = new Map<string, IssuedToken>(options.restore?.accessTokens);
  const refreshTokens = new Map<string, IssuedToken>(options.restore?.refreshTokens);
  const issued: string[] = [];

  // Shaped like WPS's ES256 JWTs; the random jti and signature make it unguessable (96 random bytes).
  const newAccessToken = (grant: Grant, now: number): string => {
    const header = base64url(JSON.stringify({ alg: 'ES256', typ: 'JWT' }));
    const payload = base64url(
      JSON.stringify({
        iss: issuer,
        sub: grant.account,
        // A display name, so the agent can say which sandbox account is connected.
        name: grant.account,
        aud: grant.clientId,
        scope: grant.scopes.join(','),
        iat: Math.floor(now / 1000),
        exp: Math.floor(now / 1000) + accessTokenTtlSeconds,
        jti: base64url(randomBytes(32)),
      }),
    );
    return `${header}.${payload}.${base64url(randomBytes(64))}`;
  };

  const issueTokens = (grant: Grant): TokenResponse => {
    const now = clock.now();
    const accessToken = newAccessToken(grant, now);
    const refreshToken = base64url(randomBytes(32));
    const copy = { account: grant.account, clientId: grant.clientId, scopes: [...grant.scopes] };
    accessTokens.set(accessToken, { ...copy, expiresAt: now + accessTokenTtlSeconds * 1000 });
    refreshTokens.set(refreshToken, { ...copy, expiresAt: now + refreshTokenTtlSeconds * 1000 });
    issued.push(accessToken, refreshToken);
    return {
      access_token: accessToken,
      expires_in: accessTokenTtlSeconds,
      refresh_token: refreshToken,
      refresh_expires_in: String(refreshTokenTtlSeconds),
      token_type: 'bearer',
      scope: grant.scopes.join(','),
    };
  };

  return {
    issueCode: (grant) => {
      const code = base64url(randomBytes(24));
      codes.set(code, { ...grant, scopes: [...grant.scopes], expiresAt: clock.now() + CODE_TTL_MS });
      issued.push(code);
      return code;
    },
    takeCode: (code) => {
      const record = codes.get(code);
      codes.delete(code);
      if (!record || clock.now() >= record.expiresAt) return undefined;
      return record;
    },
    issueTokens,
    refresh: (refreshToken, clientId) => {
      const record = refreshTokens.get(refreshToken);
      if (!record) return { status: 'invalid', reason: 'refresh token is unknown, already used or revoked' };
      if (record.clientId !== clientId)
        return { status: 'invalid', reason: 'refresh token was issued to another client' };
      refreshTokens.delete(refreshToken);
      if (clock.now() >= record.expiresAt) return { status: 'invalid', reason: 'refresh token expired' };
      // The old access token is left alone and works until its own expiry, as most OAuth servers do.
      return { status: 'rotated', tokens: issueTokens(record) };
    },
    verifyAccessToken: (token) => {
      const record = accessTokens.get(token);
      if (!record || clock.now() >= record.expiresAt) return undefined;
      return record;
    },
    revokeAccount: (account) => {
      for (const map of [codes, accessTokens, refreshTokens]) {
        for (const [key, value] of map) if (value.account === account) map.delete(key);
      }
    },
    issued: () => [...issued],
    snapshot: () => {
      const now = clock.now();
      const live = (map: Map<string, IssuedToken>) =>
        [...map]
          .filter(([, token]) => token.expiresAt > now)
          .map(([key, token]) => [key, { ...token }] as [string, IssuedToken]);
      return { accessTokens: live(accessTokens), refreshTokens: live(refreshTokens) };
    },
  };
}
