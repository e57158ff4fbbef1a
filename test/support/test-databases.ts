/**
 * One repository suite, two databases: `describeOnEachDatabase` runs the same tests against an in-memory
 * SQLite database and a real PostgreSQL one (skipped loudly without PostgreSQL, see postgres.ts). Every
 * test starts from empty tables; the PostgreSQL database is created and migrated once per file.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';
import { openPostgresDatabase, type PostgresDatabase } from '../../src/db/postgres-database.js';
import { migratePostgres } from '../../src/db/postgres-migrations.js';
import {
  createPostgresNotifications,
  type PostgresNotifications,
} from '../../src/db/postgres-notifications.js';
import {
  type AnyDatabase,
  createRepositories,
  type Repositories,
  type RepositoryOptions,
} from '../../src/db/repositories.js';
import { createLogger } from '../../src/shared/logger.js';
import { hasPostgres, startTestDatabase, type TestDatabase } from './postgres.js';

export interface DatabaseFixture {
  dialect: AnyDatabase['dialect'];
  /** The database of the running test (a new one per test on SQLite, emptied tables on PostgreSQL). */
  database(): AnyDatabase;
  /** Repositories on it; pass an instance to own work rows. */
  repositories(options?: RepositoryOptions): Repositories;
  /** PostgreSQL only: the URL, for tests that start processes or open more pools on the same database. */
  url(): string;
}

async function emptyPostgres(db: PostgresDatabase): Promise<void> {
  const { rows } = await db.$client.query<{ tablename: string }>(
    "select tablename from pg_tables where schemaname = 'public'",
  );
  if (rows.length === 0) return;
  await db.execute(sql.raw(`truncate ${rows.map((row) => `"${row.tablename}"`).join(', ')} cascade`));
}

export function describeOnEachDatabase(name: string, body: (fixture: DatabaseFixture) => void): void {
  describe(`${name} (sqlite)`, () => {
    let current: AnyDatabase | undefined;
    beforeEach(() => {
      const db = openDatabase(':memory:');
      migrateDatabase(db);
      current = { dialect: 'sqlite', db };
    });
    body({
      dialect: 'sqlite',
      database: () => current!,
      repositories: (options) => createRepositories(current!, options),
      url: () => {
        throw new Error('url() is PostgreSQL only');
      },
    });
  });

  describe.skipIf(!hasPostgres)(`${name} (postgres)`, () => {
    let server: TestDatabase | undefined;
    let current: { dialect: 'postgres'; db: PostgresDatabase } | undefined;
    let notifications: PostgresNotifications | undefined;
    beforeAll(async () => {
      server = await startTestDatabase();
      await migratePostgres(server.url);
      current = { dialect: 'postgres', db: openPostgresDatabase(server.url) };
      notifications = createPostgresNotifications({
        url: server.url,
        logger: createLogger({ level: 'silent' }),
      });
    }, 60_000);
    beforeEach(async () => {
      await emptyPostgres(current!.db);
    });
    afterAll(async () => {
      await notifications?.close();
      await current?.db.$client.end();
      await server?.stop();
    });
    body({
      dialect: 'postgres',
      database: () => current!,
      repositories: (options) => createRepositories(current!, { notifications, ...options }),
      url: () => server!.url,
    });
  });
}

/**
 * `it` for a test that only means something on one dialect (a LISTEN wake-up, SQLite's poll): registered
 * only there, so the other dialect's run does not count it as skipped.
 */
export function itOn(fixture: DatabaseFixture, dialect: DatabaseFixture['dialect']): typeof it {
  return dialect === fixture.dialect ? it : ((() => undefined) as unknown as typeof it);
}
