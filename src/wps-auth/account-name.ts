/**
 * The WPS account's display name, where the access token says it: a `name` claim in its JWT payload
 * (the sandbox's tokens carry one). WPS does not document its tokens' claims, so for real WPS this is
 * usually null and the console shows no name rather than a guessed one. Read for display only, never
 * trusted: the signature is not (and need not be) checked here.
 */
export function accountNameFromAccessToken(accessToken: string): string | null {
  const payload = accessToken.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { name?: unknown };
    return typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 100) : null;
  } catch {
    // Not a JWT (an opaque token): no name to show.
    return null;
  }
}
