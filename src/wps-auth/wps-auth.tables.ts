import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
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

/**
 * A started authorization, found again by the hash of its single-use `state`, never by user alone. A
 * callback that arrives without the starter's binding cookie holds its code here (sealed) until the person
 * confirms with the starting user's API key; the confirmation page is found by its own token's hash.
 */
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
    /** The authorize URL (it carries the state), sealed: 409 answers hand out a live one again. */
    authorizeUrlCiphertext: text('authorize_url_ciphertext'),
    /** The code of an unbound callback, sealed, waiting for the API-key confirmation. */
    codeCiphertext: text('code_ciphertext'),
    confirmationTokenHash: text('confirmation_token_hash'),
    failedConfirmations: integer('failed_confirmations').notNull().default(0),
    /** Set when too many wrong API keys were tried or newer authorizations of the user pushed it out. */
    cancelledAt: integer('cancelled_at'),
  },
  (table) => [
    index('pending_authorizations_user_idx').on(table.userId),
    uniqueIndex('pending_authorizations_confirmation_idx').on(table.confirmationTokenHash),
  ],
);
