import { afterEach, describe, expect, it } from 'vitest';
import { createWpsSandbox, type WpsSandbox, type WpsSandboxOptions } from '../../src/sandbox/index.js';
import { createManualClock } from '../../src/shared/clock.js';
import {
  authorizeCode,
  CLIENT,
  exchangeCode,
  jsonOf,
  postToken,
  refresh,
  serverUrl,
} from './sandbox-test-helpers.js';

let sandbox: WpsSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(options: WpsSandboxOptions = {}): Promise<WpsSandbox> {
  sandbox = await createWpsSandbox({ clients: [CLIENT], autoApprove: 'alice', ...options });
  return sandbox;
}

async function tokensFor(target: WpsSandbox) {
  const response = await exchangeCode(target, await authorizeCode(target));
  expect(response.status).toBe(200);
  return (await response.json()) as { access_token: string; refresh_token: string };
}

function listTools(target: WpsSandbox, accessToken: string): Promise<Response> {
  return fetch(serverUrl(target, 'kso-yundoc'), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
}

describe('token endpoint', () => {
  it('rejects a reused code with invalid_grant in the WPS error shape', async () => {
    const target = await start();
    const code = await authorizeCode(target);
    expect((await exchangeCode(target, code)).status).toBe(200);
    const reused = await exchangeCode(target, code);
    expect(reused.status).toBe(400);
    const body = await jsonOf(reused);
    expect(body).toEqual({ code: 40000003, msg: 'invalid_grant', debug: { desc: expect.any(String) } });
  });

  it('rejects a redirect_uri that differs from the authorization request', async () => {
    const target = await start();
    const response = await exchangeCode(target, await authorizeCode(target), {
      redirect_uri: 'http://127.0.0.1:3000/other',
    });
    expect(await response.json()).toMatchObject({ code: 40000003, msg: 'invalid_grant' });
  });

  it('rejects bad client credentials, credentials sent only as HTTP Basic, and unknown grant types', async () => {
    const target = await start();
    const code = await authorizeCode(target);
    const wrongSecret = await postToken(target, {
      grant_type: 'authorization_code',
      code,
      client_secret: 'nope',
    });
    expect(await wrongSecret.json()).toMatchObject({ code: 40000002, msg: 'invalid_client' });
    const basic = await fetch(target.tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code }),
    });
    expect(await basic.json()).toMatchObject({ msg: 'invalid_client' });
    const grant = await postToken(target, { grant_type: 'client_credentials' });
    expect(await grant.json()).toMatchObject({ code: 40000004, msg: 'unsupported_grant_type' });
    const missing = await postToken(target, {});
    expect(await missing.json()).toMatchObject({ code: 40000001, msg: 'invalid_request' });
    expect(target.requestCounts().token).toEqual({ authorization_code: 2, refresh_token: 0, other: 2 });
  });

  it('answers errors with HTTP 200 and a non-zero code when tokenErrorHttpStatus is 200', async () => {
    const target = await start({ tokenErrorHttpStatus: 200 });
    const response = await exchangeCode(target, 'no-such-code');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ code: 40000003, msg: 'invalid_grant' });
  });

  it('rotates refresh tokens: the old refresh token fails once used, the old access token lives on', async () => {
    const target = await start();
    const first = await tokensFor(target);
    const rotated = await refresh(target, first.refresh_token);
    expect(rotated.status).toBe(200);
    const second = await jsonOf(rotated);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(await (await refresh(target, first.refresh_token)).json()).toMatchObject({ msg: 'invalid_grant' });
    expect((await refresh(target, second.refresh_token)).status).toBe(200);
    expect((await listTools(target, first.access_token)).status).toBe(200);
    expect(target.requestCounts().token.refresh_token).toBe(3);
  });

  it('lets exactly one of two concurrent refreshes with the same token succeed', async () => {
    const target = await start();
    const { refresh_token } = await tokensFor(target);
    const responses = await Promise.all([refresh(target, refresh_token), refresh(target, refresh_token)]);
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 400]);
  });

  it('stops accepting revoked accounts’ access and refresh tokens', async () => {
    const target = await start();
    const tokens = await tokensFor(target);
    target.revokeAccount('alice');
    expect((await listTools(target, tokens.access_token)).status).toBe(401);
    expect(await (await refresh(target, tokens.refresh_token)).json()).toMatchObject({
      msg: 'invalid_grant',
    });
    // A new authorization works again.
    expect((await listTools(target, (await tokensFor(target)).access_token)).status).toBe(200);
  });

  it('can fail or hang the next token requests', async () => {
    const target = await start();
    const { refresh_token } = await tokensFor(target);
    target.failNext('token', 1);
    expect((await refresh(target, refresh_token)).status).toBe(500);
    target.failNext('token', 1, 'hang');
    const hanging = refresh(target, refresh_token).then(
      () => 'answered',
      () => 'dropped',
    );
    const raced = await Promise.race([
      hanging,
      new Promise((resolve) => setTimeout(() => resolve('pending'), 200)),
    ]);
    expect(raced).toBe('pending');
    await target.close();
    expect(await hanging).toBe('dropped');
  });
});

describe('expiry, on an injected clock', () => {
  it('expires access tokens (MCP 401), refresh tokens (invalid_grant) and codes older than 10 minutes', async () => {
    const clock = createManualClock();
    const target = await start({ clock, accessTokenTtlSeconds: 60, refreshTokenTtlSeconds: 600 });
    const tokens = await tokensFor(target);
    expect((await listTools(target, tokens.access_token)).status).toBe(200);
    clock.advance(60_000);
    const expired = await listTools(target, tokens.access_token);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await expired.json()).toMatchObject({ code: 40100001, msg: 'invalid_token' });

    clock.advance(540_000);
    expect(await (await refresh(target, tokens.refresh_token)).json()).toMatchObject({
      msg: 'invalid_grant',
    });

    const code = await authorizeCode(target);
    clock.advance(10 * 60_000);
    expect(await (await exchangeCode(target, code)).json()).toMatchObject({ msg: 'invalid_grant' });
    const fresh = await authorizeCode(target);
    clock.advance(10 * 60_000 - 1);
    expect((await exchangeCode(target, fresh)).status).toBe(200);
  });
});
