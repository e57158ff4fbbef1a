import type { Config } from '../config/config.js';
import { systemClock } from '../shared/clock.js';
import type { FetchLike } from '../shared/fetch.js';
import type { Logger } from '../shared/logger.js';
import { redactUrlCredentials } from '../shared/url-credentials.js';
import { createAuthorizationServerResolver } from '../wps-auth/authorization-server.js';
import { checkModel } from './model-check.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

const TIMEOUT_MS = 5_000;

async function reach(
  fetch: FetchLike,
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: string } | { error: string }> {
  try {
    const response = await fetch(url, {
      ...init,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'manual',
    });
    return { status: response.status, body: (await response.text()).slice(0, 500) };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { error: cause ?? (error instanceof Error ? error.message : String(error)) };
  }
}

/**
 * Checks what the agent depends on, in plain words: WPS's OAuth endpoints (discovered or configured),
 * each MCP server's `initialize` (401 without a user token means "there and asking for a token"), and the
 * model (one tiny real request, see model-check.ts). Never prints a secret.
 */
export async function runDoctor(options: {
  config: Config;
  fetch: FetchLike;
  logger: Logger;
}): Promise<DoctorCheck[]> {
  const { config, fetch } = options;
  const checks: DoctorCheck[] = [];
  const sandboxHint =
    config.wps.mode === 'sandbox'
      ? ' In sandbox mode the sandbox runs inside "npm start": start the server first.'
      : '';
  checks.push({
    name: 'configuration',
    ok: true,
    detail:
      config.wps.mode === 'sandbox'
        ? `Valid. Sandbox mode (WPS_APP_ID unset): WPS is the local sandbox at ${config.wps.mcpUrl.replace(/\/mcp\/v2$/, '')}, which runs inside "npm start".`
        : `Valid. WPS app ${config.wps.clientId}; servers ${config.wps.servers.join(', ')}; redirect URI ${config.server.redirectUri}.`,
  });

  const firstServer = config.wps.servers[0] ?? 'kso-yundoc';
  const resolver = createAuthorizationServerResolver({
    fetch,
    clock: systemClock,
    logger: options.logger,
    mcpServerUrl: `${config.wps.mcpUrl}/${firstServer}/message`,
    configured: { authorizeUrl: config.wps.authorizeUrl, tokenUrl: config.wps.tokenUrl },
  });
  const endpoints = await resolver.resolve();
  checks.push({
    name: 'wps oauth discovery',
    ok: true,
    detail: endpoints.discovered
      ? `Authorization-server metadata found: authorize ${endpoints.authorizeUrl}, token ${endpoints.tokenUrl}${endpoints.pkce ? ', PKCE S256' : ''}.`
      : `No discovery metadata served (normal for WPS): using WPS_OAUTH_AUTHORIZE_URL ${endpoints.authorizeUrl} and WPS_OAUTH_TOKEN_URL ${endpoints.tokenUrl}.`,
  });

  const token = await reach(fetch, endpoints.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: 'doctor-probe',
      client_id: config.wps.clientId,
      client_secret: config.wps.clientSecret,
    }),
  });
  if ('error' in token) {
    checks.push({
      name: 'wps token endpoint',
      ok: false,
      detail: `Cannot reach ${endpoints.tokenUrl} (${token.error}).${sandboxHint}`,
    });
  } else {
    const clientRefused = /invalid_client|40000002/.test(token.body);
    checks.push({
      name: 'wps token endpoint',
      ok: token.status < 500 && !clientRefused,
      detail: clientRefused
        ? `${endpoints.tokenUrl} refused the app's credentials: check WPS_APP_ID and WPS_APP_KEY.`
        : token.status >= 500
          ? `${endpoints.tokenUrl} answered HTTP ${token.status}: WPS is failing.`
          : `${endpoints.tokenUrl} answers and accepts the app's credentials (a probe refresh token was refused, as expected).`,
    });
  }

  for (const server of config.wps.servers) {
    const url = `${config.wps.mcpUrl}/${server}/message`;
    const answer = await reach(fetch, url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'wps-agent-doctor', version: '0' },
        },
      }),
    });
    if ('error' in answer) {
      checks.push({
        name: `mcp ${server}`,
        ok: false,
        detail: `Cannot reach ${url} (${answer.error}).${sandboxHint}`,
      });
    } else if (answer.status === 401) {
      checks.push({
        name: `mcp ${server}`,
        ok: true,
        detail: `${url} is there and asks for a user token (HTTP 401), as expected without one.`,
      });
    } else if (answer.status === 404) {
      checks.push({
        name: `mcp ${server}`,
        ok: false,
        detail: `${url} does not exist (HTTP 404): check WPS_MCP_URL and the server name.`,
      });
    } else {
      checks.push({
        name: `mcp ${server}`,
        ok: answer.status < 500,
        detail: `${url} answered HTTP ${answer.status} to initialize.`,
      });
    }
  }

  checks.push({ name: 'model endpoint', ...(await checkModel({ config, fetch })) });
  // Details quote URLs and error texts, which may carry userinfo; never print it.
  return checks.map((check) => ({ ...check, detail: redactUrlCredentials(check.detail) }));
}
