import pg from 'pg';
import type { BytesWritten } from './turn-depth.js';

/**
 * The WAL PostgreSQL generates while a wave of turns runs: the distance its insert position moved
 * (`pg_current_wal_lsn()`), in bytes. WAL position is the cluster's, so this counts everything written
 * meanwhile; the bench's throwaway cluster holds nothing else but the agent's heartbeat. The tests'
 * cluster runs with `full_page_writes=off` (test/support/postgres.ts), so these are the records the
 * turns' statements log, without the page images a checkpoint would add to the first change of a page.
 * Autovacuum is switched off for the database's tables (call this once the agent has migrated it): a
 * vacuum of a table the turns filled would charge its own WAL to whichever wave it ran in.
 */
export async function postgresBytesWritten(
  databaseUrl: string,
): Promise<BytesWritten & { close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows: tables } = await client.query<{ name: string }>(
    `select format('%I.%I', schemaname, relname) as name from pg_stat_user_tables`,
  );
  for (const { name } of tables) await client.query(`alter table ${name} set (autovacuum_enabled = false)`);
  let startLsn = '';
  return {
    description: 'PostgreSQL WAL',
    async start() {
      startLsn =
        (await client.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows[0]?.lsn ?? '';
    },
    async bytesSince() {
      const { rows } = await client.query<{ bytes: string }>(
        'select pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text as bytes',
        [startLsn],
      );
      return Number(rows[0]?.bytes ?? Number.NaN);
    },
    close: () => client.end(),
  };
}
