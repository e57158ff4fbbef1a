import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * Binds a started authorization to the browser that started it (RFC 9700 §4.7: the callback must be tied
 * to the user agent that began the flow). `POST /v1/wps/authorize` sets an HttpOnly, SameSite=Lax cookie,
 * scoped to the callback path, holding an HMAC of the authorization's state hash; `/callback` completes at
 * once only when that cookie comes back. A link forwarded to another browser carries no cookie, so it can
 * never connect someone else's WPS account silently.
 *
 * The HMAC key is derived (HKDF) from the token encryption key, which every instance sharing the database
 * already has, so a callback may land on any instance. Each authorization gets its own cookie name (from
 * its state hash) so two tabs' flows never overwrite each other's binding.
 */
export function createAuthorizationBinding(options: {
  encryptionKey: Buffer;
  /** The registered callback URL: the cookie is scoped to its path. */
  redirectUri: string;
  /** `PUBLIC_URL`: the cookie is `Secure` when browsers reach the agent over https. */
  publicUrl: string;
  ttlMs: number;
}) {
  const secret = Buffer.from(
    hkdfSync('sha256', options.encryptionKey, Buffer.alloc(0), 'wps-agent authorization binding v1', 32),
  );
  const cookieOptions = {
    httpOnly: true,
    // Lax, not Strict: WPS's redirect back is a cross-site top-level navigation, which Lax lets through.
    sameSite: 'lax' as const,
    path: new URL(options.redirectUri).pathname,
    secure: new URL(options.publicUrl).protocol === 'https:',
  };
  const cookieName = (stateHash: string) => `wps_binding_${stateHash.slice(0, 16)}`;
  const cookieValue = (stateHash: string) =>
    createHmac('sha256', secret).update(stateHash).digest('base64url');

  return {
    /** Marks this browser as the one that started the authorization. */
    bind(response: Response, stateHash: string): void {
      response.cookie(cookieName(stateHash), cookieValue(stateHash), {
        ...cookieOptions,
        maxAge: options.ttlMs,
      });
    },

    /** True when the request carries the binding of exactly this authorization. */
    isBound(request: Request, stateHash: string): boolean {
      const presented = readCookie(request, cookieName(stateHash));
      if (!presented) return false;
      const expected = Buffer.from(cookieValue(stateHash));
      const actual = Buffer.from(presented);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },

    /** The binding is single-use like the state: drop it once the callback is handled. */
    release(response: Response, stateHash: string): void {
      response.clearCookie(cookieName(stateHash), cookieOptions);
    },
  };
}

export type AuthorizationBinding = ReturnType<typeof createAuthorizationBinding>;

/**
 * One cookie by exact name. Our names and values are base64url and hex, never quoted or encoded, so a
 * split on `;` and the first `=` reads them exactly; anything else in the header is ignored.
 */
function readCookie(request: Request, name: string): string | undefined {
  for (const pair of (request.get('cookie') ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return undefined;
}
