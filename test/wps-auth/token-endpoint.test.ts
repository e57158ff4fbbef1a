import { describe, expect, it } from 'vitest';
import { requestTokens, TokenEndpointError } from '../../src/wps-auth/token-endpoint.js';

/** A token endpoint that answers one fixed response, recording what it was sent. */
function answering(status: number, body: unknown) {
  const sent: Array<{ url: string; body: string; contentType: string | null }> = [];
  const fetch = async (url: string | URL, init?: RequestInit) => {
    sent.push({
      url: String(url),
      body: String(init?.body),
      contentType: new Headers(init?.headers).get('content-type'),
    });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { fetch, sent };
}

const refresh = (fetch: ReturnType<typeof answering>['fetch']) =>
  requestTokens({
    fetch,
    tokenUrl: 'https://wps.example/oauth2/token',
    clientId: 'app',
    clientSecret: 'key',
    grant: { grant_type: 'refresh_token', refresh_token: 'r1' },
  });

async function failureOf(promise: Promise<unknown>): Promise<TokenEndpointError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TokenEndpointError);
  return error as TokenEndpointError;
}

describe("WPS's token endpoint, as WPS speaks it", () => {
  it('sends a form body with the client credentials in it, and reads the flat answer (string lifetimes too)', async () => {
    const endpoint = answering(200, {
      access_token: 'a2',
      refresh_token: 'r2',
      expires_in: '7200',
      refresh_expires_in: '31536000',
      token_type: 'bearer',
    });
    const tokens = await refresh(endpoint.fetch);
    expect(tokens).toEqual({
      accessToken: 'a2',
      refreshToken: 'r2',
      expiresInSeconds: 7200,
      refreshExpiresInSeconds: 31536000,
      scopes: undefined,
    });
    expect(endpoint.sent[0]?.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(endpoint.sent[0]?.body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'r1',
      client_id: 'app',
      client_secret: 'key',
    });
  });

  it('treats a non-zero code as a refusal even with HTTP 200', async () => {
    const error = await failureOf(
      refresh(answering(200, { code: 40000003, msg: 'invalid_grant', debug: { desc: 'used' } }).fetch),
    );
    expect(error).toMatchObject({ kind: 'rejected', reason: 'invalid_grant' });
  });

  it('treats a non-2xx status as a refusal', async () => {
    expect(
      await failureOf(refresh(answering(400, { code: 40000003, msg: 'invalid_grant' }).fetch)),
    ).toMatchObject({ kind: 'rejected' });
    expect(await failureOf(refresh(answering(401, 'nope').fetch))).toMatchObject({ kind: 'rejected' });
  });

  it('treats WPS failing (5xx status, a 5xxxxxxx code, a 429, an unreadable body, no network) as unavailable', async () => {
    expect(await failureOf(refresh(answering(502, 'bad gateway').fetch))).toMatchObject({
      kind: 'unavailable',
    });
    expect(
      await failureOf(refresh(answering(200, { code: 50000001, msg: 'internal_error' }).fetch)),
    ).toMatchObject({ kind: 'unavailable' });
    expect(await failureOf(refresh(answering(429, {}).fetch))).toMatchObject({ kind: 'unavailable' });
    expect(await failureOf(refresh(answering(200, { something: 'else' }).fetch))).toMatchObject({
      kind: 'unavailable',
    });
    const offline = async () => {
      throw new TypeError('fetch failed');
    };
    expect(await failureOf(refresh(offline))).toMatchObject({ kind: 'unavailable', reason: 'network error' });
  });
});
