import { openPostgresDatabase } from '../../src/db/postgres-database.js';
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
): { repositories: Repositories; close: () => Promise<void> } {
  const db = openPostgresDatabase(url);
  const notifications = createPostgresNotifications({ url, logger: createLogger({ level: 'silent' }) });
  return {
    repositories: createRepositories({ dialect: 'postgres', db }, { ...options, notifications }),
    close: async () => {
      await notifications.close();
      await db.$client.end();
    },
  };
}
