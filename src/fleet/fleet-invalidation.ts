import type { PostgresDatabase } from '../db/postgres-database.js';
import { notifyStatement, type PostgresNotifications } from '../db/postgres-notifications.js';
import type { McpConnectionPool } from '../mcp/connection-pool.js';
import type { ToolCatalog } from '../mcp/tool-catalog.js';
import type { Logger } from '../shared/logger.js';
import type { TokenManager } from '../wps-auth/token-manager.js';
import { CONNECTION_CHANNEL } from '../wps-auth/wps-connections.postgres.js';

/** A WPS server told one instance that its tool list changed; the payload is the server's name. */
export const TOOLS_CHANNEL = 'wps_agent_tools';

/**
 * Keeps this instance's caches in step with what other instances on the same PostgreSQL change, so no
 * instance acts on a stale copy:
 * - a user's connection changed anywhere (refreshed, re-authorized, marked for re-authorization,
 *   disconnected; wps-connections.postgres.ts announces every such write): the remembered access token
 *   is dropped at once, and when the user is no longer connected their MCP sessions and tool list too;
 * - a WPS server said `notifications/tools/list_changed` to one instance: every instance drops its tool
 *   lists (each instance also listens itself; this covers one whose listening session has closed).
 * Notifications sent while the listener was reconnecting are lost, so a reconnect drops every cache.
 */
export async function startFleetInvalidation(options: {
  db: PostgresDatabase;
  notifications: PostgresNotifications;
  tokenManager: TokenManager;
  pool: McpConnectionPool;
  catalog: ToolCatalog;
  logger: Logger;
}): Promise<{ stop(): void }> {
  const { tokenManager, pool, catalog, logger } = options;

  const connectionChanged = async (userId: string) => {
    tokenManager.forgetRemembered(userId);
    if ((await tokenManager.connectionState(userId)) === 'connected') return;
    await pool.closeUser(userId);
    catalog.invalidate(userId);
  };
  const unsubscribeConnections = await options.notifications.subscribe(CONNECTION_CHANNEL, (userId) => {
    connectionChanged(userId).catch((error: unknown) =>
      logger.warn({ err: error, userId }, 'could not apply a connection change from another instance'),
    );
  });
  const unsubscribeTools = await options.notifications.subscribe(TOOLS_CHANNEL, () =>
    catalog.invalidateAll(),
  );
  const stopAnnouncing = pool.onToolsChanged((server) => {
    options.db
      .execute(notifyStatement(TOOLS_CHANNEL, server))
      .catch((error: unknown) =>
        logger.warn({ err: error, server }, 'could not tell other instances that a tool list changed'),
      );
  });
  const stopReconnects = options.notifications.onReconnect(() => {
    tokenManager.forgetAllRemembered();
    catalog.invalidateAll();
  });
  return {
    stop() {
      unsubscribeConnections();
      unsubscribeTools();
      stopAnnouncing();
      stopReconnects();
    },
  };
}
