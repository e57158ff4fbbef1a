import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * One row per running server process on this database. `heartbeatAt` is refreshed every few seconds; an
 * instance whose heartbeat stopped is dead (kill -9, power loss), and its work rows and leases are closed
 * or taken over by the instances still alive. A clean shutdown deletes its row.
 */
export const instancesTable = sqliteTable('instances', {
  id: text('id').primaryKey(),
  pid: integer('pid').notNull(),
  host: text('host').notNull(),
  startedAt: integer('started_at').notNull(),
  heartbeatAt: integer('heartbeat_at').notNull(),
});
