import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * One fixed-window counter per limiter and user, shared by every instance on this database, so N
 * instances allow the limit once, not N times. A hit in a newer window restarts the count in the same
 * statement (see rate-limits.repository.ts); rows of past windows are only stale, and are deleted now and
 * then.
 */
export const rateLimitHitsTable = sqliteTable('rate_limit_hits', {
  /** The limiter's name and the user id, e.g. `costly:usr_…`. */
  key: text('key').primaryKey(),
  /** Epoch ms of the window this count belongs to (aligned to the window length). */
  windowStart: integer('window_start').notNull(),
  hits: integer('hits').notNull(),
});
