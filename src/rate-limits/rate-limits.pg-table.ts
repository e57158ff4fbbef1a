import { bigint, integer, pgTable, text } from 'drizzle-orm/pg-core';

/** The PostgreSQL twin of rate-limits.table.ts (the meaning of each column is documented there). */
export const rateLimitHitsTable = pgTable('rate_limit_hits', {
  key: text('key').primaryKey(),
  windowStart: bigint('window_start', { mode: 'number' }).notNull(),
  hits: integer('hits').notNull(),
});
