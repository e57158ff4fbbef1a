import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createWpsSandbox, type WpsSandbox, type WpsSandboxOptions } from '../../src/sandbox/index.js';
import {
  ALL_MCP_SCOPES,
  authorizeCode,
  authorizeUrl,
  CLIENT,
  exchangeCode,
  jsonOf,
  REDIRECT_URI,
  redirectTarget,
} from './sandbox-test-helpers.js';

let sandbox: WpsSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(options: WpsSandboxOptions = {}): Promise<WpsSandbox> {
  sandbox = await createWpsSandbox({ clients: [CLIENT], ...options });
  return sandbox;
}

function decide(target: WpsSandbox, form: Record<string, string>): Promise<Response> {
  return fetch(`${target.url}/oauth2/auth/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
    redirect: 'manual',
  });
}

/** The hidden fields of the consent form, as a browser would post them back. */
function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1] ?? ''] = (match[2] ?? '').replaceAll('&amp;', '&').replaceAll('&quot;', '"');
  }
  return fields;
}

describe('authorization endpoint', () => {
  it('with autoApprove, redirects at once with a code and the state, and the code buys a WPS-shaped token', async () => {
    const target = await start({ autoApprove: 'alice' });
    const response = await fetch(authorizeUrl(target), { redirect: 'manual' });
    const location = await redirectTarget(response);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('state')).toBe('state-123');
    const code = location.searchParams.get('code') ?? '';

    const token = await exchangeCode(target, code);
    expect(token.status).toBe(200);
    const body = await jsonOf(token);
    expect(body).toMatchObject({ expires_in: 7200, refresh_expires_in: '31536000', token_type: 'bearer' });
    expect(body.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(body.refresh_token.length).toBeGreaterThanOrEqual(43);
    expect(body.scope).toBe(ALL_MCP_SCOPES);
    expect(body).not.toHaveProperty('code');
    expect(target.issuedTokens()).toEqual(
      expect.arrayContaining([code, body.access_token, body.refresh_token]),
    );
    expect(target.requestCounts().authorize).toBe(1);
    expect(target.requestCounts().token.authorization_code).toBe(1);
  });

  it('renders an escaped, labelled consent page with every account and stable control ids', async () => {
    const target = await start();
    const response = await fetch(authorizeUrl(target, { state: '<script>alert(1)</script>' }));
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('授权 / Authorize');
    expect(html).toContain('name="viewport"');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    for (const account of ['alice', 'bob', 'carol']) {
      expect(html).toContain(`id="account-${account}"`);
      expect(html).toContain(`for="account-${account}"`);
    }
    expect(html).toMatch(/id="account-alice"[^>]*checked/);
    expect(html).toContain('id="approve"');
    expect(html).toContain('id="deny"');
    expect(html).toContain('kso.mcp_dbsheet.readwrite');
  });

  it('approving on the consent page issues a code for the chosen account', async () => {
    const target = await start();
    const html = await (await fetch(authorizeUrl(target))).text();
    const response = await decide(target, { ...hiddenFields(html), account: 'bob', decision: 'approve' });
    const location = await redirectTarget(response);
    expect(location.searchParams.get('state')).toBe('state-123');
    const token = await jsonOf(await exchangeCode(target, location.searchParams.get('code') ?? ''));
    const payload = JSON.parse(Buffer.from(token.access_token.split('.')[1], 'base64url').toString());
    expect(payload.sub).toBe('bob');
  });

  it('denying on the consent page redirects with access_denied and the state', async () => {
    const target = await start();
    const html = await (await fetch(authorizeUrl(target))).text();
    const location = await redirectTarget(
      await decide(target, { ...hiddenFields(html), account: 'alice', decision: 'deny' }),
    );
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('state-123');
    expect(location.searchParams.has('code')).toBe(false);
  });

  it('answers an unregistered redirect_uri or unknown client with a 400 page and never redirects', async () => {
    const target = await start({ autoApprove: 'alice' });
    const evil = await fetch(authorizeUrl(target, { redirect_uri: 'https://evil.example/cb' }), {
      redirect: 'manual',
    });
    expect(evil.status).toBe(400);
    expect(evil.headers.get('location')).toBeNull();
    expect(await evil.text()).toContain('redirect_uri');
    const unknown = await fetch(authorizeUrl(target, { client_id: 'nobody' }), { redirect: 'manual' });
    expect(unknown.status).toBe(400);
  });

  it('accepts any loopback redirect_uri only when allowLoopbackRedirects is on', async () => {
    const strict = await start({ autoApprove: 'alice' });
    const rejected = await fetch(authorizeUrl(strict, { redirect_uri: 'http://localhost:5555/cb' }), {
      redirect: 'manual',
    });
    expect(rejected.status).toBe(400);
    await strict.close();
    const loose = await start({ autoApprove: 'alice', allowLoopbackRedirects: true });
    const accepted = await fetch(authorizeUrl(loose, { redirect_uri: 'http://localhost:5555/cb' }), {
      redirect: 'manual',
    });
    expect((await redirectTarget(accepted)).host).toBe('localhost:5555');
  });

  it('redirects with invalid_scope for space-joined or unknown scopes, keeping the state', async () => {
    const target = await start({ autoApprove: 'alice' });
    for (const scope of [
      'kso.mcp_yundoc.readwrite kso.mcp_airpage.readwrite',
      'kso.mcp_nothing.readwrite',
      '',
    ]) {
      const location = await redirectTarget(
        await fetch(authorizeUrl(target, { scope }), { redirect: 'manual' }),
      );
      expect(location.searchParams.get('error')).toBe('invalid_scope');
      expect(location.searchParams.get('state')).toBe('state-123');
    }
  });

  it('redirects with unsupported_response_type when response_type is not code', async () => {
    const target = await start({ autoApprove: 'alice' });
    const location = await redirectTarget(
      await fetch(authorizeUrl(target, { response_type: 'token' }), { redirect: 'manual' }),
    );
    expect(location.searchParams.get('error')).toBe('unsupported_response_type');
  });

  it('verifies the PKCE verifier at token time when a challenge was given', async () => {
    const target = await start({ autoApprove: 'alice' });
    const verifier = 'a-very-long-code-verifier-with-enough-entropy-0123456789';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const pkce = { code_challenge: challenge, code_challenge_method: 'S256', resource: 'http://x/mcp' };

    const wrong = await exchangeCode(target, await authorizeCode(target, pkce), {
      code_verifier: 'not-the-verifier',
    });
    expect(await wrong.json()).toMatchObject({ code: 40000003, msg: 'invalid_grant' });
    const missing = await exchangeCode(target, await authorizeCode(target, pkce));
    expect(await missing.json()).toMatchObject({ msg: 'invalid_grant' });
    const right = await exchangeCode(target, await authorizeCode(target, pkce), { code_verifier: verifier });
    expect(right.status).toBe(200);
  });
});
