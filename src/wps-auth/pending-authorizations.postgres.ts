import { and, count, eq, inArray, lt } from 'drizzle-orm';
import { withDatabaseErrors } from '../db/database-errors.js';
import type { PostgresDatabase } from '../db/postgres-database.js';
import { usersTable } from '../users/users.pg-table.js';
import { pendingAuthorizationConditions } from './pending-authorization-conditions.js';
import type {
  PendingAuthorization,
  PendingAuthorizationRow,
  PendingAuthorizationsRepository,
} from './pending-authorizations.repository.js';
import { pendingAuthorizationsTable } from './wps-auth.pg-tables.js';

const table = pendingAuthorizationsTable;

const { isLive, liveOne, newestFirst, reusable, scrubbed, failedConfirmationCounted } =
  pendingAuthorizationConditions(table);

/**
 * The PostgreSQL twin of pending-authorizations.repository.ts. Every state change is one guarded UPDATE:
 * under READ COMMITTED a second writer of the same row waits for the first to commit, then re-checks the
 * WHERE clause (`isLive`) against the row as the first left it, so two racing callbacks or confirmations,
 * from any number of processes, can never both win. No method reads and then writes.
 */
export function createPostgresPendingAuthorizationsRepository({
  db,
}: {
  db: PostgresDatabase;
}): PendingAuthorizationsRepository {
  const findOne = async (condition: ReturnType<typeof eq>): Promise<PendingAuthorization | undefined> => {
    const [found] = await db
      .select({ row: table, userName: usersTable.name })
      .from(table)
      .innerJoin(usersTable, eq(usersTable.id, table.userId))
      .where(condition);
    return found && { ...found.row, userName: found.userName };
  };

  return withDatabaseErrors({
    async insert(
      row: Omit<
        PendingAuthorizationRow,
        'usedAt' | 'codeCiphertext' | 'confirmationTokenHash' | 'failedConfirmations' | 'cancelledAt'
      >,
    ): Promise<void> {
      await db.insert(table).values(row);
    },

    /**
     * One statement: the subquery picks the live rows past the newest `keep`, the guard skips any that a
     * concurrent claim or cancel closed meanwhile, so each row is counted by exactly one caller.
     */
    async cancelLiveBeyond(userId: string, keep: number, now: number): Promise<number> {
      const beyondNewest = db
        .select({ stateHash: table.stateHash })
        .from(table)
        .where(and(eq(table.userId, userId), isLive(now)))
        .orderBy(...newestFirst)
        .offset(keep);
      const result = await db
        .update(table)
        .set({ cancelledAt: now, ...scrubbed })
        .where(and(inArray(table.stateHash, beyondNewest), isLive(now)));
      return result.rowCount ?? 0;
    },

    async findReusable(
      userId: string,
      now: number,
      until: number,
    ): Promise<PendingAuthorizationRow | undefined> {
      const [row] = await db
        .select()
        .from(table)
        .where(reusable(userId, now, until))
        .orderBy(...newestFirst)
        .limit(1);
      return row;
    },

    async findByStateHash(stateHash: string): Promise<PendingAuthorization | undefined> {
      return findOne(eq(table.stateHash, stateHash));
    },

    async findByConfirmationTokenHash(tokenHash: string): Promise<PendingAuthorization | undefined> {
      return findOne(eq(table.confirmationTokenHash, tokenHash));
    },

    async holdCode(
      stateHash: string,
      held: { codeCiphertext: string; confirmationTokenHash: string; expiresAt: number },
      now: number,
    ): Promise<boolean> {
      const result = await db.update(table).set(held).where(liveOne(stateHash, now));
      return (result.rowCount ?? 0) > 0;
    },

    /**
     * The count is incremented in the UPDATE itself (not read, then written): concurrent wrong keys each
     * see the count the previous one committed, so exactly the `maxFailures`-th cancels.
     */
    async recordFailedConfirmation(
      stateHash: string,
      maxFailures: number,
      now: number,
    ): Promise<{ failedConfirmations: number; cancelled: boolean } | undefined> {
      const [row] = await db
        .update(table)
        .set(failedConfirmationCounted(maxFailures, now))
        .where(liveOne(stateHash, now))
        .returning({ failedConfirmations: table.failedConfirmations, cancelledAt: table.cancelledAt });
      return row && { failedConfirmations: row.failedConfirmations, cancelled: row.cancelledAt !== null };
    },

    async claim(stateHash: string, now: number, confirmationTokenHash?: string): Promise<boolean> {
      const conditions = [liveOne(stateHash, now)];
      if (confirmationTokenHash) conditions.push(eq(table.confirmationTokenHash, confirmationTokenHash));
      const result = await db
        .update(table)
        .set({ usedAt: now, ...scrubbed })
        .where(and(...conditions));
      return (result.rowCount ?? 0) > 0;
    },

    async deleteExpired(before: number): Promise<number> {
      const result = await db.delete(table).where(lt(table.expiresAt, before));
      return result.rowCount ?? 0;
    },

    async countOfUser(userId: string): Promise<number> {
      const [row] = await db.select({ rows: count() }).from(table).where(eq(table.userId, userId));
      return row?.rows ?? 0;
    },
  });
}
