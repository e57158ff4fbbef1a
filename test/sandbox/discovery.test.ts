import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createWpsSandbox, type WpsSandbox } from '../../src/sandbox/index.js';
import { CLIENT, jsonOf, REDIRECT_URI, serverUrl } from './sandbox-test-helpers.js';

let sandbox: WpsSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const metadataPath = '/.well-known/oauth-protected-resource/mcp/v2/kso-yundoc/message';

describe('discovery metadata', () => {
  it('is off by default: every /.well-known path is 404 and the 401 names no metadata', async () => {
    sandbox = await createWpsSandbox({ clients: [CLIENT] });
    for (const path of [
      '/.well-known/oauth-authorization-server',
      '/.well-known/oauth-protected-resource',
      metadataPath,
    ]) {
      expect((await fetch(`${sandbox.url}${path}`)).status).toBe(404);
    }
    const unauthorized = await fetch(serverUrl(sandbox, 'kso-yundoc'), { method: 'POST' });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('when on, serves RFC 8414 and RFC 9728 metadata and points the 401 at it', async () => {
    sandbox = await createWpsSandbox({ clients: [CLIENT], discovery: true });
    const server = await jsonOf(await fetch(`${sandbox.url}/.well-known/oauth-authorization-server`));
    expect(server).toMatchObject({
      issuer: sandbox.url,
      authorization_endpoint: sandbox.authorizeUrl,
      token_endpoint: sandbox.tokenUrl,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_post'],
    });
    expect(server.scopes_supported).toContain('kso.mcp_calendar.readwrite');
    expect((await fetch(`${sandbox.url}/.well-known/oauth-protected-resource`)).status).toBe(200);
    const resource = await jsonOf(await fetch(`${sandbox.url}${metadataPath}`));
    expect(resource).toMatchObject({
      resource: serverUrl(sandbox, 'kso-yundoc').href,
      authorization_servers: [sandbox.url],
      scopes_supported: ['kso.mcp_yundoc.readwrite'],
    });
    const unauthorized = await fetch(serverUrl(sandbox, 'kso-yundoc'), { method: 'POST' });
    expect(unauthorized.headers.get('www-authenticate')).toBe(
      `Bearer error="invalid_token", resource_metadata="${sandbox.url}${metadataPath}"`,
    );
  });

  it("drives the MCP SDK's own OAuth client end to end (discovery, PKCE, client_secret_post)", async () => {
    const target = await createWpsSandbox({ clients: [CLIENT], discovery: true, autoApprove: 'carol' });
    sandbox = target;
    let saved: OAuthTokens | undefined;
    let verifier = '';
    let authorizationUrl: URL | undefined;
    const provider: OAuthClientProvider = {
      redirectUrl: REDIRECT_URI,
      clientMetadata: { redirect_uris: [REDIRECT_URI], client_name: 'test' },
      clientInformation: () => ({ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
      tokens: () => saved,
      saveTokens: (tokens) => {
        saved = tokens;
      },
      redirectToAuthorization: (url) => {
        authorizationUrl = url;
      },
      saveCodeVerifier: (value) => {
        verifier = value;
      },
      codeVerifier: () => verifier,
    };
    const url = serverUrl(target, 'kso-yundoc');
    const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await expect(new Client({ name: 't', version: '1' }).connect(first)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    expect(authorizationUrl?.href.startsWith(target.authorizeUrl)).toBe(true);
    expect(authorizationUrl?.searchParams.get('scope')).toBe('kso.mcp_yundoc.readwrite');

    const redirect = await fetch(authorizationUrl ?? '', { redirect: 'manual' });
    const code = new URL(redirect.headers.get('location') ?? '').searchParams.get('code') ?? '';
    await first.finishAuth(code);
    expect(saved?.access_token).toBeDefined();

    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    const result = await client.callTool({
      name: 'kso_yundoc_search_yundoc',
      arguments: { keyword: 'travel' },
    });
    expect(JSON.stringify(result)).toContain('Carol Travel Plan');
    await client.close();
  });
});
