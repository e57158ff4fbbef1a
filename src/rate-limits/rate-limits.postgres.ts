import { and, eq, gt, lt, sql } from 'drizzle-orm';
import { withDatabaseErrors } from '../db/database-errors.js';
import type { PostgresDatabase } from '../db/postgres-database.js';
import { prepareNamed } from '../db/postgres-prepared.js';
import { rateLimitHitsTable } from './rate-limits.pg-table.js';
import type { RateLimitsRepository, WindowCount } from './rate-limits.repository.js';

const p = sql.placeholder;

/**
 * The PostgreSQL implementation of rate-limits.repository.ts. The upsert is atomic under READ COMMITTED:
 * concurrent hits on one key queue on the row lock that ON CONFLICT DO UPDATE takes, and each re-reads
 * the committed count, so no hit is lost. `window_start` comes back as a number (bigint in number mode).
 */
export function createPostgresRateLimitsRepository({ db }: { db: PostgresDatabase }): RateLimitsRepository {
  const table = rateLimitHitsTable;
  // Named, so each pooled connection parses and plans it once.
  const hit = prepareNamed(
    'rate_limit_hit',
    db
      .insert(table)
      .values({ key: p('key'), windowStart: p('windowStart'), hits: 1 })
      .onConflictDoUpdate({
        target: table.key,
        set: {
          hits: sql`case when excluded.window_start > ${table.windowStart} then 1 else ${table.hits} + 1 end`,
          windowStart: sql`greatest(${table.windowStart}, excluded.window_start)`,
        },
      })
      .returning({ hits: table.hits, windowStart: table.windowStart }),
  );
  const decrement = prepareNamed(
    'rate_limit_decrement',
    db
      .update(table)
      .set({ hits: sql`${table.hits} - 1` })
      .where(and(eq(table.key, p('key')), eq(table.windowStart, p('windowStart')), gt(table.hits, 0))),
  );

  return withDatabaseErrors({
    async hit(key: string, windowStart: number): Promise<WindowCount> {
      const [row] = await hit.execute({ key, windowStart });
      if (!row) throw new Error('rate limit upsert returned no row');
      return { hits: row.hits, windowStart: Number(row.windowStart) };
    },

    async decrement(key: string, windowStart: number): Promise<void> {
      await decrement.execute({ key, windowStart });
    },

    async reset(key: string): Promise<void> {
      await db.delete(table).where(eq(table.key, key));
    },

    async deleteWindowsBefore(windowStart: number): Promise<number> {
      const result = await db.delete(table).where(lt(table.windowStart, windowStart));
      return result.rowCount ?? 0;
    },
  });
}
