import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { findAuthorizationRequired } from '../wps-auth/wps-auth.errors.js';
import type { McpConnectionPool } from './connection-pool.js';

export interface CatalogTool {
  name: string;
  server: string;
  description: string;
  inputSchema: Tool['inputSchema'];
  annotations?: Tool['annotations'];
}

/**
 * Every tool of every configured server, per user, cached for `ttlMs` and dropped as soon as a server
 * says `notifications/tools/list_changed`. A cache, not shared state: any process can rebuild it.
 */
export function createToolCatalog(options: {
  pool: McpConnectionPool;
  servers: string[];
  ttlMs: number;
  clock: Clock;
  logger: Logger;
}) {
  const cache = new Map<string, { tools: CatalogTool[]; until: number }>();
  const loading = new Map<string, Promise<CatalogTool[]>>();
  options.pool.onToolsChanged((userId) => cache.delete(userId));

  async function load(userId: string): Promise<CatalogTool[]> {
    const results = await Promise.allSettled(
      options.servers.map(async (server) =>
        (await options.pool.listTools(userId, server)).map(
          (tool): CatalogTool => ({
            name: tool.name,
            server,
            description: tool.description ?? '',
            inputSchema: tool.inputSchema,
            ...(tool.annotations ? { annotations: tool.annotations } : {}),
          }),
        ),
      ),
    );
    const failures = results.flatMap((result, index) =>
      result.status === 'rejected'
        ? [{ server: options.servers[index], error: result.reason as unknown }]
        : [],
    );
    // An authorization problem concerns every server: surface it rather than a partial list.
    const authorization = failures.map((failure) => findAuthorizationRequired(failure.error)).find(Boolean);
    if (authorization) throw authorization;
    if (failures.length === results.length && failures[0]) throw failures[0].error;
    for (const failure of failures) {
      options.logger.warn(
        { err: failure.error, server: failure.server, userId },
        'tools/list failed; that server is left out',
      );
    }
    const tools = results.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    // A partial catalogue is kept only briefly so the missing server is retried soon.
    cache.set(userId, {
      tools,
      until: options.clock.now() + (failures.length ? Math.min(options.ttlMs, 10_000) : options.ttlMs),
    });
    return tools;
  }

  return {
    async list(userId: string): Promise<CatalogTool[]> {
      const cached = cache.get(userId);
      if (cached && cached.until > options.clock.now()) return cached.tools;
      let pending = loading.get(userId);
      if (!pending) {
        pending = load(userId).finally(() => loading.delete(userId));
        loading.set(userId, pending);
      }
      return pending;
    },
    invalidate(userId: string): void {
      cache.delete(userId);
    },
  };
}

export type ToolCatalog = ReturnType<typeof createToolCatalog>;
