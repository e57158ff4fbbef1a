import { bigint, integer, pgTable, text } from 'drizzle-orm/pg-core';

/** The PostgreSQL twin of instances.table.ts (the meaning of each column is documented there). */
export const instancesTable = pgTable('instances', {
  id: text('id').primaryKey(),
  pid: integer('pid').notNull(),
  host: text('host').notNull(),
  startedAt: bigint('started_at', { mode: 'number' }).notNull(),
  heartbeatAt: bigint('heartbeat_at', { mode: 'number' }).notNull(),
  expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
});
