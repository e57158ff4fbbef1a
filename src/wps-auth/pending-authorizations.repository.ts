import { and, count, eq, lt } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { withDatabaseErrors } from '../db/database-errors.js';
import { usersTable } from '../users/users.table.js';
import { pendingAuthorizationConditions } from './pending-authorization-conditions.js';
import { pendingAuthorizationsTable } from './wps-auth.tables.js';

export type PendingAuthorizationRow = typeof pendingAuthorizationsTable.$inferSelect;
/** A pending authorization with the name of the agent user who started it (the pages show it). */
export type PendingAuthorization = PendingAuthorizationRow & { userName: string };
export type PendingStatus = 'live' | 'used' | 'cancelled' | 'expired';

const table = pendingAuthorizationsTable;

/** Where a pending authorization stands; only a `live` one may still connect anything. */
export function pendingStatus(row: PendingAuthorizationRow, now: number): PendingStatus {
  if (row.usedAt !== null) return 'used';
  if (row.cancelledAt !== null) return 'cancelled';
  return row.expiresAt > now ? 'live' : 'expired';
}

const { isLive, liveOne, newestFirst, reusable, scrubbed, failedConfirmationCounted } =
  pendingAuthorizationConditions(table);

/**
 * Started WPS authorizations. Every state change is a guarded update (`isLive`), so two callbacks or two
 * confirmations racing on one authorization, in one process or several, can never both win.
 */
export function createPendingAuthorizationsRepository({ db }: { db: AppDatabase }) {
  const withUserName = () =>
    db
      .select({ row: table, userName: usersTable.name })
      .from(table)
      .innerJoin(usersTable, eq(usersTable.id, table.userId));
  const flatten = (found: { row: PendingAuthorizationRow; userName: string } | undefined) =>
    found ? { ...found.row, userName: found.userName } : undefined;

  return withDatabaseErrors({
    async insert(
      row: Omit<
        PendingAuthorizationRow,
        'usedAt' | 'codeCiphertext' | 'confirmationTokenHash' | 'failedConfirmations' | 'cancelledAt'
      >,
    ): Promise<void> {
      db.insert(table).values(row).run();
    },

    /** Cancels the user's live authorizations beyond the newest `keep`; returns how many. */
    async cancelLiveBeyond(userId: string, keep: number, now: number): Promise<number> {
      const live = db
        .select({ stateHash: table.stateHash })
        .from(table)
        .where(and(eq(table.userId, userId), isLive(now)))
        .orderBy(...newestFirst)
        .all();
      let cancelled = 0;
      for (const { stateHash } of live.slice(keep)) {
        cancelled += db
          .update(table)
          .set({ cancelledAt: now, ...scrubbed })
          .where(liveOne(stateHash, now))
          .run().changes;
      }
      return cancelled;
    },

    /** The user's newest live authorization that no callback reached yet and lives past `until`. */
    async findReusable(
      userId: string,
      now: number,
      until: number,
    ): Promise<PendingAuthorizationRow | undefined> {
      return db
        .select()
        .from(table)
        .where(reusable(userId, now, until))
        .orderBy(...newestFirst)
        .get();
    },

    async findByStateHash(stateHash: string): Promise<PendingAuthorization | undefined> {
      return flatten(withUserName().where(eq(table.stateHash, stateHash)).get());
    },

    async findByConfirmationTokenHash(tokenHash: string): Promise<PendingAuthorization | undefined> {
      return flatten(withUserName().where(eq(table.confirmationTokenHash, tokenHash)).get());
    },

    /** Holds an unbound callback's code until confirmation; a newer callback replaces an older one. */
    async holdCode(
      stateHash: string,
      held: { codeCiphertext: string; confirmationTokenHash: string; expiresAt: number },
      now: number,
    ): Promise<boolean> {
      return db.update(table).set(held).where(liveOne(stateHash, now)).run().changes > 0;
    },

    /** Counts a wrong API key; the `maxFailures`-th cancels the authorization and drops the held code. */
    async recordFailedConfirmation(
      stateHash: string,
      maxFailures: number,
      now: number,
    ): Promise<{ failedConfirmations: number; cancelled: boolean } | undefined> {
      const row = db
        .update(table)
        .set(failedConfirmationCounted(maxFailures, now))
        .where(liveOne(stateHash, now))
        .returning()
        .get();
      return row && { failedConfirmations: row.failedConfirmations, cancelled: row.cancelledAt !== null };
    },

    /**
     * Claims a live authorization for its one use (only one caller ever succeeds) and scrubs the sealed
     * values it no longer needs. With `confirmationTokenHash`, only that confirmation page can claim it.
     */
    async claim(stateHash: string, now: number, confirmationTokenHash?: string): Promise<boolean> {
      const conditions = [liveOne(stateHash, now)];
      if (confirmationTokenHash) conditions.push(eq(table.confirmationTokenHash, confirmationTokenHash));
      return (
        db
          .update(table)
          .set({ usedAt: now, ...scrubbed })
          .where(and(...conditions))
          .run().changes > 0
      );
    },

    /** Housekeeping: rows that expired before `before` answer "unknown" from then on. */
    async deleteExpired(before: number): Promise<number> {
      return db.delete(table).where(lt(table.expiresAt, before)).run().changes;
    },

    async countOfUser(userId: string): Promise<number> {
      return db.select({ rows: count() }).from(table).where(eq(table.userId, userId)).get()?.rows ?? 0;
    },
  });
}

export type PendingAuthorizationsRepository = ReturnType<typeof createPendingAuthorizationsRepository>;
