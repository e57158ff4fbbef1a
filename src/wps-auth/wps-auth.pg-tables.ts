import { bigint, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { usersTable } from '../users/users.pg-table.js';

/** The PostgreSQL twins of wps-auth.tables.ts (the meaning of each column is documented there). */
export const wpsConnectionsTable = pgTable('wps_connections', {
  userId: text('user_id')
    .primaryKey()
    .references(() => usersTable.id, { onDelete: 'cascade' }),
  status: text('status', { enum: ['connected', 'reauthorization_required'] }).notNull(),
  accessTokenCiphertext: text('access_token_ciphertext').notNull(),
  refreshTokenCiphertext: text('refresh_token_ciphertext').notNull(),
  refreshTokenHash: text('refresh_token_hash').notNull(),
  accessExpiresAt: bigint('access_expires_at', { mode: 'number' }).notNull(),
  refreshExpiresAt: bigint('refresh_expires_at', { mode: 'number' }),
  scopes: text('scopes').notNull(),
  tokenUrl: text('token_url'),
  generation: integer('generation').notNull().default(1),
  refreshLeaseOwner: text('refresh_lease_owner'),
  refreshLeaseUntil: bigint('refresh_lease_until', { mode: 'number' }),
  createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
});

export const pendingAuthorizationsTable = pgTable(
  'pending_authorizations',
  {
    stateHash: text('state_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => usersTable.id, { onDelete: 'cascade' }),
    codeVerifierCiphertext: text('code_verifier_ciphertext'),
    redirectUri: text('redirect_uri').notNull(),
    tokenUrl: text('token_url').notNull(),
    scopes: text('scopes').notNull(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
    usedAt: bigint('used_at', { mode: 'number' }),
    authorizeUrlCiphertext: text('authorize_url_ciphertext'),
    codeCiphertext: text('code_ciphertext'),
    confirmationTokenHash: text('confirmation_token_hash'),
    failedConfirmations: integer('failed_confirmations').notNull().default(0),
    cancelledAt: bigint('cancelled_at', { mode: 'number' }),
  },
  (table) => [
    index('pending_authorizations_user_idx').on(table.userId),
    uniqueIndex('pending_authorizations_confirmation_idx').on(table.confirmationTokenHash),
  ],
);
