import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { withDatabaseErrors } from '../db/database-errors.js';
import type { PostgresDatabase } from '../db/postgres-database.js';
import { notifyStatement, type PostgresNotifications } from '../db/postgres-notifications.js';
import { prepareNamed } from '../db/postgres-prepared.js';
import {
  type InstanceIdentity,
  postgresInstanceLiveness,
  READ_ONLY_INSTANCE,
} from '../instances/instance-liveness.js';
import { wpsConnectionsTable } from './wps-auth.pg-tables.js';
import {
  pollForRefresh,
  type RefreshLeaseRequest,
  type SealedTokenPair,
  type WpsConnectionRow,
  type WpsConnectionsRepository,
} from './wps-connections.repository.js';

/** Every write that changes a user's connection announces the user id here (see `waitForRefresh`). */
export const CONNECTION_CHANNEL = 'wps_agent_connection';

/**
 * The database server's clock in epoch milliseconds. Lease times are read and written with it, so
 * instances whose clocks disagree still agree on when a lease runs out. `clock_timestamp()`, not `now()`:
 * the time of the statement itself, even inside a long transaction.
 */
const databaseNowMs = sql`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

const table = wpsConnectionsTable;
type Transaction = Parameters<Parameters<PostgresDatabase['transaction']>[0]>[0];
const pairOf = (userId: string, refreshTokenHash: string) =>
  and(eq(table.userId, userId), eq(table.refreshTokenHash, refreshTokenHash));

/**
 * The PostgreSQL twin of wps-connections.repository.ts (its comments give the meaning of each method).
 * Every write is a single guarded statement, one-winner under READ COMMITTED: a second writer of the row
 * waits for the first to commit and then re-checks its WHERE against the row as the first left it. The
 * writes that change a connection also send its user id on `CONNECTION_CHANNEL` in the same transaction,
 * which is what wakes the processes waiting in `waitForRefresh`.
 */
export function createPostgresWpsConnectionsRepository({
  db,
  notifications,
  instance = READ_ONLY_INSTANCE,
}: {
  db: PostgresDatabase;
  /** This process's LISTEN connection; without it `waitForRefresh` falls back to SQLite's short poll. */
  notifications?: PostgresNotifications;
  instance?: InstanceIdentity;
}): WpsConnectionsRepository {
  // Read before MCP requests and on every status check: a named prepared statement.
  const connectionOfUser = prepareNamed(
    'wps_connection_of_user',
    db
      .select()
      .from(table)
      .where(eq(table.userId, sql.placeholder('userId'))),
  );

  /** Runs a write and, if it changed a row, announces the user in the same transaction. */
  const announcing = (userId: string, write: (transaction: Transaction) => Promise<boolean>) =>
    db.transaction(async (transaction) => {
      const changed = await write(transaction);
      if (changed) await transaction.execute(notifyStatement(CONNECTION_CHANNEL, userId));
      return changed;
    });

  const updateIfCurrent = (
    userId: string,
    usedRefreshTokenHash: string,
    set: PgUpdateSetSource<typeof table>,
  ) =>
    announcing(userId, async (transaction) => {
      const updated = await transaction
        .update(table)
        .set(set)
        .where(pairOf(userId, usedRefreshTokenHash))
        .returning({ userId: table.userId });
      return updated.length > 0;
    });

  const releasedLease = { refreshLeaseOwner: null, refreshLeaseUntil: null };

  return withDatabaseErrors({
    async find(userId: string): Promise<WpsConnectionRow | undefined> {
      const [row] = await connectionOfUser.execute({ userId });
      return row;
    },

    async storeAuthorized(
      userId: string,
      pair: SealedTokenPair & { tokenUrl: string },
      now: number,
    ): Promise<void> {
      await announcing(userId, async (transaction) => {
        await transaction
          .insert(table)
          .values({ userId, status: 'connected', ...pair, generation: 1, createdAt: now, updatedAt: now })
          .onConflictDoUpdate({
            target: table.userId,
            set: {
              status: 'connected',
              ...pair,
              generation: sql`${table.generation} + 1`,
              ...releasedLease,
              updatedAt: now,
            },
          });
        return true;
      });
    },

    async replaceIfCurrent(
      userId: string,
      usedRefreshTokenHash: string,
      pair: SealedTokenPair,
      now: number,
    ): Promise<boolean> {
      return updateIfCurrent(userId, usedRefreshTokenHash, {
        ...pair,
        status: 'connected',
        generation: sql`${table.generation} + 1`,
        ...releasedLease,
        updatedAt: now,
      });
    },

    async markReauthorizationRequiredIfCurrent(
      userId: string,
      usedRefreshTokenHash: string,
      now: number,
    ): Promise<boolean> {
      return updateIfCurrent(userId, usedRefreshTokenHash, {
        status: 'reauthorization_required',
        ...releasedLease,
        updatedAt: now,
      });
    },

    /**
     * One UPDATE, so of any number of concurrent callers exactly one sees a free lease: the others wait
     * on its row lock and then find the lease taken. The lease runs until the database's clock passes
     * `leaseMs` from now; the caller's `now` judges only whether the holder's instance is dead, as the
     * heartbeat rows are written with the instances' own clocks.
     */
    async acquireRefreshLease(options: RefreshLeaseRequest): Promise<boolean> {
      const result = await db
        .update(table)
        .set({
          refreshLeaseOwner: options.owner,
          refreshLeaseUntil: sql`${databaseNowMs} + ${options.leaseMs}`,
        })
        .where(
          and(
            pairOf(options.userId, options.refreshTokenHash),
            or(
              isNull(table.refreshLeaseUntil),
              lt(table.refreshLeaseUntil, databaseNowMs),
              postgresInstanceLiveness.ownedByDeadInstance(table.refreshLeaseOwner, instance, options.now),
            ),
          ),
        );
      return (result.rowCount ?? 0) > 0;
    },

    async releaseRefreshLease(userId: string, owner: string): Promise<void> {
      await announcing(userId, async (transaction) => {
        const released = await transaction
          .update(table)
          .set(releasedLease)
          .where(and(eq(table.userId, userId), eq(table.refreshLeaseOwner, owner)));
        return (released.rowCount ?? 0) > 0;
      });
    },

    async delete(userId: string): Promise<boolean> {
      return announcing(userId, async (transaction) => {
        const deleted = await transaction.delete(table).where(eq(table.userId, userId));
        return (deleted.rowCount ?? 0) > 0;
      });
    },

    /**
     * Waits for this user's connection to change: woken by the notification of whichever instance stores
     * the refresh, marks re-authorization, releases the lease or deletes the row. Never longer than the
     * lease has left by the database clock (an expired lease sends no notification), nor than `timeoutMs`.
     */
    async waitForRefresh(userId: string, timeoutMs: number): Promise<void> {
      if (!notifications) return pollForRefresh(timeoutMs);
      let wake: () => void = () => {};
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const unsubscribe = await notifications.subscribe(CONNECTION_CHANNEL, (payload) => {
        if (payload === userId) wake();
      });
      const stopWaitingOnReconnect = notifications.onReconnect(wake); // what changed meanwhile is unknown
      let timer: NodeJS.Timeout | undefined;
      try {
        // Listening now; a change committed between the caller's failed acquire and here announced itself
        // to no one, so look at the lease once: nothing left to wait for means return at once.
        const [lease] = await db
          // bigint arrives as a string; null when no lease is held.
          .select({ remainingMs: sql<string | null>`${table.refreshLeaseUntil} - ${databaseNowMs}` })
          .from(table)
          .where(eq(table.userId, userId));
        const remainingMs = lease?.remainingMs == null ? 0 : Number(lease.remainingMs);
        if (remainingMs <= 0) return;
        const waitMs = Math.min(timeoutMs, remainingMs);
        await Promise.race([woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      } finally {
        clearTimeout(timer);
        stopWaitingOnReconnect();
        unsubscribe();
      }
    },
  });
}
