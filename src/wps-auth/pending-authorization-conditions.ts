import { and, desc, eq, gt, isNotNull, isNull, type SQL, sql } from 'drizzle-orm';
import type { pendingAuthorizationsTable as postgresTable } from './wps-auth.pg-tables.js';
import type { pendingAuthorizationsTable as sqliteTable } from './wps-auth.tables.js';

type AnyPendingAuthorizationsTable = typeof sqliteTable | typeof postgresTable;

/**
 * The conditions, orders and updates both dialects' pending-authorization repositories build their
 * statements from, so the two cannot drift apart on what "live", "newest" or "reusable" means.
 */
export function pendingAuthorizationConditions(table: AnyPendingAuthorizationsTable) {
  /** The SQL form of `pendingStatus(row, now) === 'live'`, for guarded updates. */
  const isLive = (now: number) =>
    and(isNull(table.usedAt), isNull(table.cancelledAt), gt(table.expiresAt, now)) as SQL;
  return {
    isLive,
    /** One authorization, while it is live: the guard of every state change. */
    liveOne: (stateHash: string, now: number) => and(eq(table.stateHash, stateHash), isLive(now)) as SQL,
    /**
     * Newest first. Rows created in the same millisecond have no order of their own, and PostgreSQL has no
     * insertion order to fall back on: the state hash breaks the tie, the same way on both databases.
     */
    newestFirst: [desc(table.createdAt), desc(table.stateHash)] as const,
    /** Live, no callback reached it yet, its URL still held, and alive past `until`. */
    reusable: (userId: string, now: number, until: number) =>
      and(
        eq(table.userId, userId),
        isLive(now),
        gt(table.expiresAt, until),
        isNull(table.codeCiphertext),
        isNotNull(table.authorizeUrlCiphertext),
      ) as SQL,
    /** The sealed values a closed authorization no longer needs. */
    scrubbed: { codeCiphertext: null, authorizeUrlCiphertext: null },
    /**
     * One more wrong API key, counted in the UPDATE itself (never read, then written); the `maxFailures`-th
     * cancels the authorization and drops the held code. The CAST gives PostgreSQL the parameter's type.
     */
    failedConfirmationCounted(maxFailures: number, now: number) {
      const failed = sql`${table.failedConfirmations} + 1`;
      const reachedLimit = sql`${failed} >= ${maxFailures}`;
      return {
        failedConfirmations: failed,
        cancelledAt: sql`CASE WHEN ${reachedLimit} THEN CAST(${now} AS bigint) ELSE NULL END`,
        codeCiphertext: sql`CASE WHEN ${reachedLimit} THEN NULL ELSE ${table.codeCiphertext} END`,
      };
    },
  };
}
