import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { WpsSandbox } from '../../src/sandbox/index.js';

export const REDIRECT_URI = 'http://127.0.0.1:3000/oauth/callback';
export const CLIENT = { clientId: 'test-client', clientSecret: 'test-secret', redirectUris: [REDIRECT_URI] };
export const ALL_MCP_SCOPES = 'kso.mcp_yundoc.readwrite,kso.mcp_airpage.readwrite,kso.mcp_dbsheet.readwrite';

export type TransportKind = 'streamable' | 'sse';

export function authorizeUrl(
  sandbox: WpsSandbox,
  overrides: Record<string, string | undefined> = {},
): string {
  const url = new URL(sandbox.authorizeUrl);
  const parameters: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: CLIENT.clientId,
    redirect_uri: REDIRECT_URI,
    scope: ALL_MCP_SCOPES,
    state: 'state-123',
    ...overrides,
  };
  for (const [key, value] of Object.entries(parameters))
    if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

/** Follows nothing: returns the redirect target of a 302. */
export async function redirectTarget(response: Response): Promise<URL> {
  if (response.status !== 302)
    throw new Error(`expected 302, got ${response.status}: ${await response.text()}`);
  return new URL(response.headers.get('location') ?? '');
}

export async function authorizeCode(sandbox: WpsSandbox, overrides: Record<string, string | undefined> = {}) {
  const response = await fetch(authorizeUrl(sandbox, overrides), { redirect: 'manual' });
  const target = await redirectTarget(response);
  const code = target.searchParams.get('code');
  if (!code) throw new Error(`no code in ${target}`);
  return code;
}

export function postToken(sandbox: WpsSandbox, parameters: Record<string, string>): Promise<Response> {
  return fetch(sandbox.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      ...parameters,
    }),
  });
}

export function exchangeCode(sandbox: WpsSandbox, code: string, extra: Record<string, string> = {}) {
  return postToken(sandbox, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...extra });
}

export function refresh(sandbox: WpsSandbox, refreshToken: string) {
  return postToken(sandbox, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

export function serverUrl(sandbox: WpsSandbox, server: string): URL {
  return new URL(`${sandbox.mcpBaseUrl}/${server}/message`);
}

export function createTransport(sandbox: WpsSandbox, server: string, token: string, kind: TransportKind) {
  const headers = { Authorization: `Bearer ${token}` };
  if (kind === 'streamable') {
    return new StreamableHTTPClientTransport(serverUrl(sandbox, server), { requestInit: { headers } });
  }
  return new SSEClientTransport(serverUrl(sandbox, server), {
    requestInit: { headers },
    eventSourceInit: {
      fetch: (url, init) =>
        fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }),
    },
  });
}

export async function connectClient(sandbox: WpsSandbox, server: string, token: string, kind: TransportKind) {
  const client = new Client({ name: 'sandbox-test', version: '1.0.0' });
  const transport = createTransport(sandbox, server, token, kind);
  await client.connect(transport);
  return { client, transport };
}

/** The Streamable HTTP session id the sandbox gave a connected client. */
export function sessionIdOf(transport: StreamableHTTPClientTransport | SSEClientTransport): string {
  if (!(transport instanceof StreamableHTTPClientTransport) || !transport.sessionId)
    throw new Error('no session id');
  return transport.sessionId;
}

/** Parsed JSON the tests assert on field by field. */
export type Json = any;

export async function jsonOf(response: Response): Promise<Json> {
  return response.json();
}

/** The JSON a sandbox tool put in its single text content item. */
export function toolJson(result: unknown): Json {
  const content = (result as CallToolResult).content;
  const first = content[0];
  if (first?.type !== 'text') throw new Error(`unexpected tool result ${JSON.stringify(result)}`);
  return JSON.parse(first.text);
}

/**
 * The HTTP status behind an MCP SDK client error: StreamableHTTPError and SseError carry it as `code`, the
 * SSE transport's POST errors only in the message ("(HTTP 404)"). Undefined if the promise resolved.
 */
export async function httpStatusOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error: unknown) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    const match = /\(HTTP (\d{3})\)/.exec(error instanceof Error ? error.message : String(error));
    return match ? Number(match[1]) : undefined;
  }
}
