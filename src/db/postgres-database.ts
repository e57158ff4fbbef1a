import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './postgres-schema.js';

export type PostgresDatabase = NodePgDatabase<typeof schema> & { $client: pg.Pool };

/** Connections per instance: a turn holds one only for the length of one statement or transaction. */
const DEFAULT_POOL_SIZE = 10;

/**
 * Opens a connection pool to PostgreSQL. Repositories run every statement on it; nothing holds a
 * connection across a WPS or model call. `statement_timeout` keeps a stuck query from pinning a
 * connection forever, and a pool error (the server restarting) is reported, not thrown at the process.
 */
export function openPostgresDatabase(
  url: string,
  options: { poolSize?: number; onPoolError?: (error: Error) => void } = {},
): PostgresDatabase {
  const client = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: 5_000,
    // pg's default closes a connection idle for 10 s, and its prepared statements with it: a quiet
    // instance would then prepare the turn's statements again on every burst. A few minutes keeps them.
    idleTimeoutMillis: 300_000,
    statement_timeout: 15_000,
    application_name: 'wps-agent',
    // A statement issued while an earlier one on the same connection is unanswered is sent at once,
    // not queued until the answer: a transaction's statements that do not depend on each other's
    // results (BEGIN and the turn start's first two, see preparedTransactions) cost one round trip.
    // Awaited one after another, statements run exactly as without it.
    pipeline: true,
  });
  client.on('error', (error) => options.onPoolError?.(error));
  return drizzle({ client, schema });
}
