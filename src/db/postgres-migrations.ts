import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

const migrationsFolder = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../migrations-postgres',
);

/**
 * The advisory-lock key every instance of this agent takes before migrating (any fixed 64-bit number;
 * this one spells "wpsagent" in ASCII). Other applications on the same database would pick their own.
 */
export const MIGRATION_LOCK_KEY = '8606505750088740468';

/**
 * Applies every drizzle-kit migration in `migrations-postgres/` that this database has not seen yet.
 * N instances starting at once each call this: the session-level `pg_advisory_lock` makes them take
 * turns on one connection, so the first migrates and the rest find nothing left to do (drizzle's own
 * migrator would otherwise race: both read "nothing applied" and both run `CREATE TABLE`). The lock goes
 * with the connection, so a process that dies mid-migration cannot leave it held.
 */
export async function migratePostgres(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migrate(drizzle({ client }), { migrationsFolder });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}
