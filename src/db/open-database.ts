import type { Config } from '../config/config.js';
import type { Logger } from '../shared/logger.js';
import { migrateDatabase, openDatabase } from './database.js';
import { openPostgresDatabase } from './postgres-database.js';
import { migratePostgres } from './postgres-migrations.js';
import { createPostgresNotifications, type PostgresNotifications } from './postgres-notifications.js';
import type { AnyDatabase } from './repositories.js';
import { createWalCheckpoints } from './wal-checkpoints.js';

/** How long /health waits for PostgreSQL before it says the database cannot be reached. */
const PING_TIMEOUT_MS = 2_000;

export interface OpenedDatabase {
  database: AnyDatabase;
  /** PostgreSQL: this process's LISTEN connection (instances wake each other up instead of polling). */
  notifications?: PostgresNotifications;
  /** True when the database answers now (PostgreSQL: `select 1` within 2 s; SQLite: always). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Opens the configured database and brings its schema up to date: the SQLite file (migrated in-process;
 * its write lock serialises processes), or PostgreSQL (migrated under an advisory lock, so N instances
 * starting at once migrate once).
 */
export async function openConfiguredDatabase(config: Config, logger: Logger): Promise<OpenedDatabase> {
  if (!config.postgres) {
    const db = openDatabase(config.databasePath);
    migrateDatabase(db);
    return {
      database: { dialect: 'sqlite', db, checkpoints: createWalCheckpoints(db.$client) },
      ping: async () => true,
      close: async () => {
        db.$client.close();
      },
    };
  }
  await migratePostgres(config.postgres.url);
  const db = openPostgresDatabase(config.postgres.url, {
    poolSize: config.postgres.poolSize,
    // An idle connection dropped by the server (a restart, a failover) is replaced on next use.
    onPoolError: (error) =>
      logger.warn({ err: error }, 'a PostgreSQL connection failed; it will be replaced'),
  });
  const notifications = createPostgresNotifications({ url: config.postgres.url, logger });
  return {
    database: { dialect: 'postgres', db },
    notifications,
    async ping() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
      });
      try {
        return await Promise.race([
          db.$client.query('select 1').then(
            () => true,
            () => false,
          ),
          timeout,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await notifications.close();
      await db.$client.end();
    },
  };
}
