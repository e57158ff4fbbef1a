import { z } from 'zod';
import type { FetchLike } from '../shared/fetch.js';

/** A token pair as WPS returns it, with lifetimes already turned into numbers of seconds. */
export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresInSeconds: number;
  refreshExpiresInSeconds: number | undefined;
  scopes: string[] | undefined;
}

/**
 * Why a token request failed. `rejected`: WPS answered and said no (bad code, revoked or rotated refresh
 * token): retrying is pointless and the user must authorize again. `unavailable`: WPS could not be reached
 * or failed (network, 5xx, unreadable body): the stored tokens stay and a later try may work.
 */
export class TokenEndpointError extends Error {
  readonly kind: 'rejected' | 'unavailable';
  /** WPS's error name (`invalid_grant`…) or HTTP status; safe to show, never contains a token. */
  readonly reason: string;
  constructor(kind: 'rejected' | 'unavailable', reason: string, options?: { cause?: unknown }) {
    super(
      `WPS token endpoint ${kind === 'rejected' ? 'rejected the request' : 'is unavailable'}: ${reason}`,
      options,
    );
    this.name = 'TokenEndpointError';
    this.kind = kind;
    this.reason = reason;
  }
}

// WPS documents refresh_expires_in as a string and expires_in as a number; accept either for both.
const seconds = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

const successSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: seconds,
  refresh_expires_in: seconds.optional(),
  scope: z.string().optional(),
  code: z.union([z.literal(0), z.literal('0')]).optional(),
});

const failureSchema = z.object({
  code: z.union([z.number(), z.string()]).optional(),
  msg: z.string().optional(),
  error: z.string().optional(),
});

/** POSTs one grant to WPS's token endpoint in WPS's format: form body, client credentials in the body. */
export async function requestTokens(options: {
  fetch: FetchLike;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  grant:
    | { grant_type: 'authorization_code'; code: string; redirect_uri: string; code_verifier?: string }
    | { grant_type: 'refresh_token'; refresh_token: string };
  timeoutMs?: number;
}): Promise<IssuedTokens> {
  const body = new URLSearchParams({
    ...options.grant,
    client_id: options.clientId,
    client_secret: options.clientSecret,
  });
  let response: Response;
  try {
    response = await options.fetch(options.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
  } catch (error) {
    throw new TokenEndpointError('unavailable', 'network error', { cause: error });
  }
  const payload: unknown = await response.json().catch(() => undefined);
  if (response.status >= 500 || response.status === 429) {
    throw new TokenEndpointError('unavailable', `HTTP ${response.status}`);
  }
  // WPS's error bodies carry a non-zero `code`; their HTTP status is unconfirmed, so check both.
  const failure = failureSchema.safeParse(payload);
  const code = failure.success ? failure.data.code : undefined;
  if (!response.ok || (code !== undefined && Number(code) !== 0)) {
    const reason = failure.success
      ? (failure.data.msg ?? failure.data.error ?? `code ${code}`)
      : `HTTP ${response.status}`;
    // WPS's codes begin with the HTTP class (40000003 invalid_grant): a 5xxxxxxx code is WPS failing,
    // not a verdict on the token, and must not cost the user their authorization.
    const serverSide = /^5\d{7}$/.test(String(code ?? ''));
    throw new TokenEndpointError(serverSide ? 'unavailable' : 'rejected', reason);
  }
  const success = successSchema.safeParse(payload);
  if (!success.success) throw new TokenEndpointError('unavailable', 'unreadable token response');
  return {
    accessToken: success.data.access_token,
    refreshToken: success.data.refresh_token,
    expiresInSeconds: success.data.expires_in,
    refreshExpiresInSeconds: success.data.refresh_expires_in,
    scopes: success.data.scope ? success.data.scope.split(/[,\s]+/).filter(Boolean) : undefined,
  };
}
