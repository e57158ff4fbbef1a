import { bigint, index, pgTable, text } from 'drizzle-orm/pg-core';

/** The PostgreSQL twin of users.table.ts: same names and constraints (test/db/schema-parity.test.ts). */
export const usersTable = pgTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  createdAt: bigint('created_at', { mode: 'number' }).notNull(),
});

/** API keys are stored only as a SHA-256 hash; the key itself is shown once, at creation. */
export const apiKeysTable = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => usersTable.id, { onDelete: 'cascade' }),
    keyHash: text('key_hash').notNull().unique(),
    /** The first characters of the key, to tell keys apart in lists without revealing them. */
    prefix: text('prefix').notNull(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    revokedAt: bigint('revoked_at', { mode: 'number' }),
    lastUsedAt: bigint('last_used_at', { mode: 'number' }),
  },
  (table) => [index('api_keys_user_idx').on(table.userId)],
);
