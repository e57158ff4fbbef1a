import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * One row per running server process on this database. Every heartbeat (every few seconds) moves
 * `expiresAt` forward by the instance's own expiry; an instance past it is dead (kill -9, power loss), and
 * its work rows and leases are closed or taken over by the instances still alive. Each instance states its
 * own deadline, so peers with other settings still judge it right. A clean shutdown deletes its row.
 */
export const instancesTable = sqliteTable('instances', {
  id: text('id').primaryKey(),
  pid: integer('pid').notNull(),
  host: text('host').notNull(),
  startedAt: integer('started_at').notNull(),
  heartbeatAt: integer('heartbeat_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
});
