import { randomUUID } from 'node:crypto';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { Clock } from '../../shared/clock.js';
import type { FaultInjector } from '../controls/fault-injector.js';
import type { RequestCounter } from '../controls/request-counter.js';
import type { Grant, TokenStore } from '../oauth/token-store.js';
import { isSandboxServerName, type SandboxServerName } from '../scopes.js';
import type { SandboxStore } from '../store/sandbox-store.js';
import { createSessionServer } from '../tools/mcp-server-factory.js';
import { authenticateMcpRequest } from './bearer-auth.js';
import { sendMcpError, sendSessionNotFound } from './mcp-errors.js';
import type { McpSession, SessionRegistry } from './session-registry.js';

export interface McpRouteDependencies {
  baseUrl: string;
  discovery: boolean;
  transports: { streamableHttp: boolean; sse: boolean };
  tokens: TokenStore;
  sessions: SessionRegistry;
  store: SandboxStore;
  clock: Clock;
  counter: RequestCounter;
  faults: FaultInjector;
  disabledTools(serverName: SandboxServerName): ReadonlySet<string>;
  logger: Logger;
}

interface McpRequestContext {
  request: Request;
  response: Response;
  serverName: SandboxServerName;
  grant: Grant;
}

function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** JSON-RPC methods in a POST body (a batch counts each message); client responses count as `response`. */
function countKeys(request: Request): string[] {
  if (request.method !== 'POST') return [request.method];
  const body: unknown = request.body;
  const messages = Array.isArray(body) ? body : body && typeof body === 'object' ? [body] : [];
  if (messages.length === 0) return ['POST'];
  return messages.map((message: unknown) => {
    const method =
      message && typeof message === 'object' ? (message as { method?: unknown }).method : undefined;
    return typeof method === 'string' ? method : 'response';
  });
}

function methodNotAllowed(response: Response, allow: string, description: string): void {
  response.set('Allow', allow);
  sendMcpError(response, { status: 405, error: 'method_not_allowed', description });
}

/** Finds the caller's session, answering 404 (unknown, dropped, other server) or 403 (other account). */
function sessionFor(context: McpRequestContext, session: McpSession | undefined, kind: McpSession['kind']) {
  if (!session || session.kind !== kind || session.serverName !== context.serverName) {
    sendSessionNotFound(context.response);
    return undefined;
  }
  if (session.account !== context.grant.account) {
    sendMcpError(context.response, {
      status: 403,
      error: 'session_account_mismatch',
      description: 'this MCP session belongs to another account',
    });
    return undefined;
  }
  return session;
}

/**
 * `/mcp/v2/{server}/message`: Streamable HTTP (stateful, `mcp-session-id`) and legacy HTTP+SSE on the same
 * URL, as WPS serves both. A GET without `mcp-session-id` opens a legacy SSE stream whose endpoint event
 * points back here with `?sessionId=`.
 */
export function createMcpRoutes(dependencies: McpRouteDependencies): Router {
  const { sessions, logger } = dependencies;
  const router = express.Router();

  const newSessionServer = (context: McpRequestContext) =>
    createSessionServer({
      serverName: context.serverName,
      context: { store: dependencies.store, account: context.grant.account, clock: dependencies.clock },
      disabledTools: dependencies.disabledTools(context.serverName),
    });

  const startStreamableSession = async (context: McpRequestContext) => {
    const server = newSessionServer(context);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.add({
          kind: 'streamable',
          id,
          serverName: context.serverName,
          account: context.grant.account,
          transport,
          ...server,
        });
      },
      onsessionclosed: (id) => sessions.remove(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.remove(transport.sessionId);
    };
    await server.mcp.connect(transport);
    await transport.handleRequest(context.request, context.response, context.request.body);
    // Anything but a successful initialize leaves no session behind.
    if (!transport.sessionId) await server.mcp.close();
  };

  const openLegacyStream = async (context: McpRequestContext) => {
    const server = newSessionServer(context);
    const transport = new SSEServerTransport(`/mcp/v2/${context.serverName}/message`, context.response);
    const id = transport.sessionId;
    sessions.add({
      kind: 'sse',
      id,
      serverName: context.serverName,
      account: context.grant.account,
      transport,
      ...server,
    });
    transport.onclose = () => sessions.remove(id);
    await server.mcp.connect(transport);
  };

  const dispatch = async (context: McpRequestContext) => {
    const { request, response } = context;
    const legacySessionId = single(request.query.sessionId);
    const sessionHeader = single(request.headers['mcp-session-id']);

    if (request.method === 'POST' && legacySessionId !== undefined) {
      const session = sessionFor(context, sessions.get(legacySessionId), 'sse');
      if (session?.kind === 'sse') await session.transport.handlePostMessage(request, response, request.body);
      return;
    }
    if (request.method === 'GET' && sessionHeader === undefined) {
      if (!dependencies.transports.sse)
        return methodNotAllowed(response, 'POST, DELETE', 'legacy SSE is disabled');
      return openLegacyStream(context);
    }
    if (!dependencies.transports.streamableHttp) {
      // An "auto" client takes a 405 on its first POST as the cue to fall back to legacy SSE.
      return methodNotAllowed(response, 'GET', 'Streamable HTTP is disabled; use the legacy SSE transport');
    }
    if (!['GET', 'POST', 'DELETE'].includes(request.method)) {
      return methodNotAllowed(response, 'GET, POST, DELETE', `${request.method} is not supported`);
    }
    if (sessionHeader === undefined) {
      if (request.method === 'POST') return startStreamableSession(context);
      response.status(400).json({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'Mcp-Session-Id header is required' },
        id: null,
      });
      return;
    }
    const session = sessionFor(context, sessions.get(sessionHeader), 'streamable');
    if (session?.kind === 'streamable')
      await session.transport.handleRequest(request, response, request.body);
  };

  router.all(
    '/mcp/v2/:server/message',
    express.json({ limit: '4mb' }),
    async (request: Request, response: Response) => {
      const serverName = String(request.params.server);
      if (!isSandboxServerName(serverName)) {
        return sendMcpError(response, {
          status: 404,
          error: 'not_found',
          description: `no MCP server ${serverName}`,
        });
      }
      const outcome = authenticateMcpRequest(request, response, {
        tokens: dependencies.tokens,
        serverName,
        baseUrl: dependencies.baseUrl,
        discovery: dependencies.discovery,
      });
      if (!outcome.ok) {
        dependencies.counter.countMcp(serverName, `http_${outcome.status}`);
        return;
      }
      for (const key of countKeys(request)) dependencies.counter.countMcp(serverName, key);
      if (request.method === 'POST') {
        const fault = dependencies.faults.take('mcp');
        if (fault === 'hang') return; // never answered; the sandbox destroys the socket on close
        if (fault === 'error') {
          return sendMcpError(response, {
            status: 500,
            error: 'internal_error',
            description: 'injected failure',
          });
        }
      }
      try {
        await dispatch({ request, response, serverName, grant: outcome.grant });
      } catch (error: unknown) {
        logger.error({ err: error, serverName }, 'MCP request failed');
        if (!response.headersSent)
          sendMcpError(response, { status: 500, error: 'internal_error', description: 'internal error' });
      }
    },
  );

  return router;
}
