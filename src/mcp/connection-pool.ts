import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type CallToolResult,
  type Tool,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import type { McpTransportSetting } from '../config/config.js';
import type { Clock } from '../shared/clock.js';
import type { FetchLike } from '../shared/fetch.js';
import type { Logger } from '../shared/logger.js';
import type { TokenManager } from '../wps-auth/token-manager.js';
import { createAuthenticatedFetch } from './authenticated-fetch.js';
import { isSessionLost, shouldFallBackToSse } from './mcp-errors.js';
import { createNotificationStreams } from './notification-streams.js';

interface PooledConnection {
  client: Client;
  transport: Transport;
  kind: 'streamable-http' | 'sse';
  /** This session's identity to notification-streams.ts. */
  session: object;
  lastUsedAt: number;
  closed: boolean;
}

export interface McpPoolOptions {
  mcpUrl: string;
  transport: McpTransportSetting;
  callTimeoutMs: number;
  idleTimeoutMs: number;
  tokenManager: TokenManager;
  fetch: FetchLike;
  clock: Clock;
  logger: Logger;
  /** Checks tool results against their output schemas, for every client (argument-validator.ts). */
  outputSchemas: jsonSchemaValidator;
}

const CLIENT_INFO = { name: 'wps-agent', version: '0.1.0' };

/**
 * One MCP client per (user, server), created on first use and reused by every request of that user; at
 * most one connect in flight per key; idle clients closed after `idleTimeoutMs`. A lost session (WPS
 * restarted, 404 on the session id) reconnects once, transparently. Only one session per server holds
 * a notification stream (notification-streams.ts).
 */
export function createMcpConnectionPool(options: McpPoolOptions) {
  const { clock, logger } = options;
  const connections = new Map<string, PooledConnection>();
  const connecting = new Map<string, Promise<PooledConnection>>();
  const toolsChangedListeners = new Set<(server: string) => void>();
  const notificationStreams = createNotificationStreams();
  const keyOf = (userId: string, server: string) => `${userId}\u0000${server}`;

  async function open(userId: string, server: string): Promise<PooledConnection> {
    const url = new URL(`${options.mcpUrl}/${server}/message`);
    const fetch = createAuthenticatedFetch({
      userId,
      server,
      tokenManager: options.tokenManager,
      fetch: options.fetch,
    });
    const attempt = async (kind: PooledConnection['kind']): Promise<PooledConnection> => {
      const client = new Client(CLIENT_INFO, {
        capabilities: {},
        jsonSchemaValidator: options.outputSchemas,
      });
      // Legacy SSE has no other channel than its stream; a Streamable HTTP session gets one if it listens.
      const session = {};
      const transport =
        kind === 'streamable-http'
          ? new StreamableHTTPClientTransport(url, {
              fetch: notificationStreams.gate(fetch, server, session),
            })
          : new SSEClientTransport(url, { fetch });
      const connection: PooledConnection = {
        client,
        transport,
        kind,
        session,
        lastUsedAt: clock.now(),
        closed: false,
      };
      if (kind === 'streamable-http') notificationStreams.claim(server, session);
      client.onclose = () => {
        connection.closed = true;
        notificationStreams.release(server, connection.session);
        if (connections.get(keyOf(userId, server)) === connection) connections.delete(keyOf(userId, server));
      };
      client.onerror = (error) => logger.debug({ err: error, userId, server }, 'mcp transport error');
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        for (const listener of toolsChangedListeners) listener(server);
      });
      try {
        await client.connect(transport, { timeout: options.callTimeoutMs });
      } catch (error) {
        notificationStreams.release(server, connection.session);
        throw error;
      }
      return connection;
    };
    if (options.transport === 'sse') return attempt('sse');
    try {
      return await attempt('streamable-http');
    } catch (error) {
      if (options.transport !== 'auto' || !shouldFallBackToSse(error)) throw error;
      logger.info(
        { server, status: error instanceof StreamableHTTPError ? error.code : undefined },
        'streamable http refused; falling back to legacy sse',
      );
      return attempt('sse');
    }
  }

  async function acquire(userId: string, server: string): Promise<PooledConnection> {
    const key = keyOf(userId, server);
    const existing = connections.get(key);
    if (existing && !existing.closed) {
      existing.lastUsedAt = clock.now();
      return existing;
    }
    let pending = connecting.get(key);
    if (!pending) {
      pending = open(userId, server)
        .then((connection) => {
          connections.set(key, connection);
          return connection;
        })
        .finally(() => connecting.delete(key));
      connecting.set(key, pending);
    }
    return pending;
  }

  async function discard(userId: string, server: string, connection: PooledConnection): Promise<void> {
    const key = keyOf(userId, server);
    if (connections.get(key) === connection) connections.delete(key);
    connection.closed = true;
    notificationStreams.release(server, connection.session);
    await connection.client.close().catch(() => undefined);
  }

  /** Runs an operation on the pooled client; if the session was lost, reconnects once and runs it again. */
  async function withClient<T>(
    userId: string,
    server: string,
    operation: (client: Client) => Promise<T>,
  ): Promise<T> {
    const connection = await acquire(userId, server);
    try {
      return await operation(connection.client);
    } catch (error) {
      if (!isSessionLost(error)) throw error;
      logger.info({ userId, server }, 'mcp session lost; reconnecting');
      await discard(userId, server, connection);
      const fresh = await acquire(userId, server);
      return operation(fresh.client);
    }
  }

  const sweeper = setInterval(
    () => {
      const cutoff = clock.now() - options.idleTimeoutMs;
      for (const [key, connection] of connections) {
        if (connection.lastUsedAt < cutoff) {
          const [userId = '', server = ''] = key.split('\u0000');
          void discard(userId, server, connection);
        }
      }
    },
    Math.min(30_000, Math.max(1_000, Math.floor(options.idleTimeoutMs / 2))),
  );
  sweeper.unref();

  return {
    async listTools(userId: string, server: string): Promise<Tool[]> {
      return withClient(userId, server, async (client) => {
        const tools: Tool[] = [];
        let cursor: string | undefined;
        do {
          const page = await client.listTools(cursor ? { cursor } : undefined, {
            timeout: options.callTimeoutMs,
          });
          tools.push(...page.tools);
          cursor = page.nextCursor;
        } while (cursor);
        return tools;
      });
    },

    async callTool(options_: {
      userId: string;
      server: string;
      name: string;
      arguments: Record<string, unknown>;
      signal?: AbortSignal;
      timeoutMs?: number;
    }): Promise<CallToolResult> {
      return withClient(options_.userId, options_.server, async (client) => {
        const result = await client.callTool(
          { name: options_.name, arguments: options_.arguments },
          undefined,
          {
            timeout: options_.timeoutMs ?? options.callTimeoutMs,
            signal: options_.signal,
          },
        );
        return result as CallToolResult;
      });
    },

    /** A server announced a changed tool list (to this process's one listening session of it). */
    onToolsChanged(listener: (server: string) => void): () => void {
      toolsChangedListeners.add(listener);
      return () => toolsChangedListeners.delete(listener);
    },

    /** Closes every connection of one user (on disconnect). */
    async closeUser(userId: string): Promise<void> {
      const closing = [...connections.entries()]
        .filter(([key]) => key.startsWith(`${userId}\u0000`))
        .map(([key, connection]) => discard(userId, key.split('\u0000')[1] ?? '', connection));
      await Promise.all(closing);
    },

    async close(): Promise<void> {
      clearInterval(sweeper);
      await Promise.all(
        [...connections.entries()].map(([key, connection]) => {
          const [userId = '', server = ''] = key.split('\u0000');
          return discard(userId, server, connection);
        }),
      );
    },

    stats() {
      return {
        connections: connections.size,
        connecting: connecting.size,
        notificationStreams: notificationStreams.count(),
      };
    },
  };
}

export type McpConnectionPool = ReturnType<typeof createMcpConnectionPool>;
