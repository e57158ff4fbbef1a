import { openPostgresDatabase, type PostgresDatabase } from '../../src/db/postgres-database.js';
import { createPostgresNotifications } from '../../src/db/postgres-notifications.js';
import { createRepositories, type Repositories, type RepositoryOptions } from '../../src/db/repositories.js';
import { createLogger } from '../../src/shared/logger.js';

/**
 * Another instance on the same PostgreSQL, inside one test file: its own connection pool and its own
 * LISTEN connection, as a second server process would have. Close it in the test (or afterEach).
 */
export function openPostgresPeer(
  url: string,
  options: Omit<RepositoryOptions, 'notifications'> = {},
): { db: PostgresDatabase; repositories: Repositories; close: () => Promise<void> } {
  const db = openPostgresDatabase(url);
  const notifications = createPostgresNotifications({ url, logger: createLogger({ level: 'silent' }) });
  return {
    db,
    repositories: createRepositories({ dialect: 'postgres', db }, { ...options, notifications }),
    close: async () => {
      await notifications.close();
      await db.$client.end();
    },
  };
}

/**
 * Opens `connections` connections in the pool before a race: otherwise the first caller has finished
 * while the others still wait for their connections, and "concurrent" calls quietly run one by one.
 */
export async function warmPool(db: PostgresDatabase, connections: number): Promise<void> {
  await Promise.all(Array.from({ length: connections }, () => db.$client.query('select pg_sleep(0.02)')));
}
