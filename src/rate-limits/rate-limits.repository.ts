import { and, eq, gt, lt, sql } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { withDatabaseErrors } from '../db/database-errors.js';
import { createGroupCommit, type GroupCommit } from '../db/group-commit.js';
import { rateLimitHitsTable } from './rate-limits.table.js';

/** A key's count in its current window, as the database holds it after a hit. */
export interface WindowCount {
  hits: number;
  windowStart: number;
}

const p = sql.placeholder;

/**
 * Fixed-window hit counters shared by every instance. A hit is one atomic upsert: it creates the row,
 * adds one in the same window, or restarts at 1 in a newer window. The window never moves backwards, so
 * an instance whose clock lags a peer's by a moment near the boundary counts into the newer window
 * instead of resetting it.
 */
export function createRateLimitsRepository({
  db,
  groupCommit = createGroupCommit(db.$client),
}: {
  db: AppDatabase;
  /** A hit is a write on every limited request: it joins the group commit (db/group-commit.ts). */
  groupCommit?: GroupCommit;
}) {
  const table = rateLimitHitsTable;
  // One statement per limited request, on the hot path: prepared once.
  const hit = db
    .insert(table)
    .values({ key: p('key'), windowStart: p('windowStart'), hits: 1 })
    .onConflictDoUpdate({
      target: table.key,
      set: {
        hits: sql`case when excluded.window_start > ${table.windowStart} then 1 else ${table.hits} + 1 end`,
        windowStart: sql`max(${table.windowStart}, excluded.window_start)`,
      },
    })
    .returning({ hits: table.hits, windowStart: table.windowStart })
    .prepare();
  const decrement = db
    .update(table)
    .set({ hits: sql`${table.hits} - 1` })
    .where(and(eq(table.key, p('key')), eq(table.windowStart, p('windowStart')), gt(table.hits, 0)))
    .prepare();

  return withDatabaseErrors({
    /** Counts one hit of `key` in the window starting at `windowStart`; answers the count after it. */
    async hit(key: string, windowStart: number): Promise<WindowCount> {
      return groupCommit.run(() => hit.get({ key, windowStart }) as WindowCount);
    },

    /** Takes one hit back (a request the limiter decided not to count after all), in that window only. */
    async decrement(key: string, windowStart: number): Promise<void> {
      decrement.run({ key, windowStart });
    },

    async reset(key: string): Promise<void> {
      db.delete(table).where(eq(table.key, key)).run();
    },

    /** Housekeeping: counters of windows before this one are stale (their next hit restarts them anyway). */
    async deleteWindowsBefore(windowStart: number): Promise<number> {
      return db.delete(table).where(lt(table.windowStart, windowStart)).run().changes;
    },
  });
}

export type RateLimitsRepository = ReturnType<typeof createRateLimitsRepository>;
