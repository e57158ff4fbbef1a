import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { usersTable } from '../users/users.table.js';

/**
 * One row per user who has connected WPS. Tokens are AES-256-GCM ciphertexts. `refreshTokenHash` is the
 * compare-and-set key: a refresh may only replace the pair whose refresh token it used, so a stale
 * process can never overwrite or delete a newer pair. The lease columns make refresh single-flight across
 * processes sharing the database.
 */
export const wpsConnectionsTable = sqliteTable('wps_connections', {
  userId: text('user_id')
    .primaryKey()
    .references(() => usersTable.id, { onDelete: 'cascade' }),
  status: text('status', { enum: ['connected', 'reauthorization_required'] }).notNull(),
  accessTokenCiphertext: text('access_token_ciphertext').notNull(),
  refreshTokenCiphertext: text('refresh_token_ciphertext').notNull(),
  refreshTokenHash: text('refresh_token_hash').notNull(),
  accessExpiresAt: integer('access_expires_at').notNull(),
  refreshExpiresAt: integer('refresh_expires_at'),
  scopes: text('scopes').notNull(),
  /** The token endpoint that issued this pair: refreshes go back to it without a new discovery. */
  tokenUrl: text('token_url'),
  /** Increments on every stored pair; lets pooled connections notice that tokens changed. */
  generation: integer('generation').notNull().default(1),
  refreshLeaseOwner: text('refresh_lease_owner'),
  refreshLeaseUntil: integer('refresh_lease_until'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** A started authorization, found again by the hash of its single-use `state`, never by user alone. */
export const pendingAuthorizationsTable = sqliteTable(
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
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
  },
  (table) => [index('pending_authorizations_user_idx').on(table.userId)],
);
