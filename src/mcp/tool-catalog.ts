import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { LRUCache } from 'lru-cache';
import { scopeForServer } from '../config/config.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { findAuthorizationRequired } from '../wps-auth/wps-auth.errors.js';
import { WpsScopeMissingError } from './authenticated-fetch.js';
import type { McpConnectionPool } from './connection-pool.js';
import { schemaContentKey } from './schema-content-key.js';

export interface CatalogTool {
  name: string;
  server: string;
  description: string;
  inputSchema: Tool['inputSchema'];
  annotations?: Tool['annotations'];
}

/** How one configured server fared in the user's last tool listing (shown in /v1/me and /v1/tools). */
export type ServerStatus =
  | { server: string; status: 'ok' }
  | { server: string; status: 'missing_scope'; scope: string; message: string }
  | { server: string; status: 'unavailable'; message: string };

export interface CatalogSnapshot {
  tools: CatalogTool[];
  servers: ServerStatus[];
}

/** Users whose tool lists are kept; past this the least recently used list is dropped (and rebuilt on use). */
const DEFAULT_MAX_USERS = 1_000;
/** Distinct tool lists kept for sharing between users (usually one per set of servers a user may use). */
const SHARED_LISTS = 64;
/** A list with a server missing is kept only briefly, so the server is retried soon. */
const PARTIAL_LIST_TTL_MS = 10_000;
/** `/v1/me` is read on every console focus: it waits this long for a tool listing, never a call timeout. */
const STATUS_WAIT_MS = 3_000;

/**
 * Every tool of every configured server, per user, cached for `ttlMs`; every user's list is dropped as
 * soon as a server says `notifications/tools/list_changed` (to the one session of this process that
 * listens, notification-streams.ts). A cache, not shared state: any process can rebuild it.
 * A server that refuses the user's token for a missing scope (403 `invalid_scope`) is left out, with its
 * status saying so: the user's other servers keep working and nobody is sent to reconnect in a loop.
 */
export function createToolCatalog(options: {
  pool: McpConnectionPool;
  servers: string[];
  ttlMs: number;
  clock: Clock;
  logger: Logger;
  maxUsers?: number;
}) {
  const cache = new LRUCache<string, CatalogSnapshot & { until: number }>({
    max: options.maxUsers ?? DEFAULT_MAX_USERS,
  });
  const loading = new Map<string, Promise<CatalogSnapshot>>();
  // Users with equal lists share one array: a user's copy held about 25 KiB (schemas, descriptions), and
  // the tool definitions built from a list (catalog-tool-definitions.ts) are then shared too.
  const sharedLists = new LRUCache<string, CatalogTool[]>({ max: SHARED_LISTS });
  const shared = (tools: CatalogTool[]): CatalogTool[] => {
    const key = schemaContentKey(tools);
    if (key === undefined) return tools;
    const known = sharedLists.get(key);
    if (known) return known;
    sharedLists.set(key, tools);
    return tools;
  };
  // One session per server listens (notification-streams.ts), and WPS's lists are per server: drop them all.
  options.pool.onToolsChanged(() => cache.clear());

  const listServer = async (userId: string, server: string): Promise<CatalogTool[]> =>
    (await options.pool.listTools(userId, server)).map(
      (tool): CatalogTool => ({
        name: tool.name,
        server,
        description: tool.description ?? '',
        inputSchema: tool.inputSchema,
        ...(tool.annotations ? { annotations: tool.annotations } : {}),
      }),
    );

  async function load(userId: string): Promise<CatalogSnapshot> {
    const results = await Promise.allSettled(options.servers.map((server) => listServer(userId, server)));
    // An authorization problem concerns every server: surface it rather than a partial list.
    const authorization = results
      .map((result) => (result.status === 'rejected' ? findAuthorizationRequired(result.reason) : undefined))
      .find(Boolean);
    if (authorization) throw authorization;
    const servers = results.map((result, index) => statusOf(options.servers[index] ?? '', result));
    // Nothing listed and some server unreachable: WPS is down, not a partial list.
    const unreachable = results[servers.findIndex((server) => server.status === 'unavailable')];
    if (!servers.some((server) => server.status === 'ok') && unreachable?.status === 'rejected')
      throw unreachable.reason;
    results.forEach((result, index) => {
      if (result.status === 'fulfilled') return;
      options.logger.warn(
        { err: result.reason, server: options.servers[index], userId, status: servers[index]?.status },
        'tools/list failed; that server is left out',
      );
    });
    const tools = shared(results.flatMap((result) => (result.status === 'fulfilled' ? result.value : [])));
    const partial = servers.some((server) => server.status !== 'ok');
    const ttl = partial ? Math.min(options.ttlMs, PARTIAL_LIST_TTL_MS) : options.ttlMs;
    cache.set(userId, { tools, servers, until: options.clock.now() + ttl });
    return { tools, servers };
  }

  async function snapshot(userId: string): Promise<CatalogSnapshot> {
    const cached = cache.get(userId);
    if (cached && cached.until > options.clock.now()) return cached;
    let pending = loading.get(userId);
    if (!pending) {
      pending = load(userId).finally(() => loading.delete(userId));
      loading.set(userId, pending);
    }
    return pending;
  }

  return {
    /** The tools the user (and the model) may use: servers that refused the user's token are left out. */
    async list(userId: string): Promise<CatalogTool[]> {
      return (await snapshot(userId)).tools;
    },
    /** The tools and each configured server's status. */
    snapshot,
    /**
     * Each configured server's status for this user, never throwing: a listing that fails as a whole, or
     * takes longer than STATUS_WAIT_MS, reports every server as `unavailable` for now.
     */
    async serverStatuses(userId: string): Promise<ServerStatus[]> {
      const unknown = (message: string) =>
        options.servers.map((server): ServerStatus => ({ server, status: 'unavailable', message }));
      let timer: NodeJS.Timeout | undefined;
      const slow = new Promise<ServerStatus[]>((resolve) => {
        timer = setTimeout(() => resolve(unknown('WPS is slow to answer; not checked yet.')), STATUS_WAIT_MS);
      });
      const listed = snapshot(userId).then(
        ({ servers }) => servers,
        (error: unknown) =>
          unknown(
            findAuthorizationRequired(error)
              ? 'WPS no longer accepts the authorization; connect again.'
              : 'WPS could not be reached or failed; retried shortly.',
          ),
      );
      return Promise.race([listed, slow]).finally(() => clearTimeout(timer));
    },
    invalidate(userId: string): void {
      cache.delete(userId);
    },
    invalidateAll(): void {
      cache.clear();
    },
  };
}

function statusOf(server: string, result: PromiseSettledResult<CatalogTool[]>): ServerStatus {
  if (result.status === 'fulfilled') return { server, status: 'ok' };
  if (hasScopeMissingCause(result.reason)) {
    const scope = scopeForServer(server);
    return {
      server,
      status: 'missing_scope',
      scope,
      message: `Your WPS authorization does not include ${scope}, so ${server}'s tools are unavailable. The WPS app must be granted that permission (and WPS_SCOPES include it) before connecting again helps.`,
    };
  }
  return {
    server,
    status: 'unavailable',
    message: `${server} could not be reached or failed; retried shortly.`,
  };
}

/** The MCP SDK wraps what a transport's fetch throws; look a few causes deep. */
function hasScopeMissingCause(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current; depth++) {
    if (current instanceof WpsScopeMissingError) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export type ToolCatalog = ReturnType<typeof createToolCatalog>;
