import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { withDatabaseErrors } from '../db/database-errors.js';
import {
  type InstanceIdentity,
  ownedByDeadInstance,
  READ_ONLY_INSTANCE,
} from '../instances/instance-liveness.js';
import { wpsConnectionsTable } from './wps-auth.tables.js';

export type WpsConnectionRow = typeof wpsConnectionsTable.$inferSelect;

/** A sealed token pair ready to store; the hash is of the plaintext refresh token. */
export interface SealedTokenPair {
  accessTokenCiphertext: string;
  refreshTokenCiphertext: string;
  refreshTokenHash: string;
  accessExpiresAt: number;
  refreshExpiresAt: number | null;
  scopes: string;
}

/** Who asks for a user's refresh lease, over which refresh token, for how long, at what time. */
export interface RefreshLeaseRequest {
  userId: string;
  /** The lease is only granted while this is still the stored refresh token's hash. */
  refreshTokenHash: string;
  /** The instance id of the asking process, so peers can tell when the holder died. */
  owner: string;
  /** The caller's clock: judges whether a holder's instance is dead (and, on SQLite, the lease times). */
  now: number;
  leaseMs: number;
}

/**
 * Every write that replaces or drops a token pair is a compare-and-set on the refresh token it was derived
 * from, so a slow or stale refresh (in this process or another one) can never undo a newer pair.
 */
/** The compare-and-set condition: this user's row, still holding the pair of this refresh token. */
const pairOf = (userId: string, refreshTokenHash: string) =>
  and(eq(wpsConnectionsTable.userId, userId), eq(wpsConnectionsTable.refreshTokenHash, refreshTokenHash));

/**
 * How long a process waiting on another one's refresh sleeps before looking again: SQLite processes share
 * no channel to announce a change on, so waiting is polling here (PostgreSQL's twin is woken by NOTIFY).
 */
const REFRESH_POLL_MS = 25;

/** One poll interval (never past `timeoutMs`): waiting where no process announces its changes. */
export async function pollForRefresh(timeoutMs: number): Promise<void> {
  await sleep(Math.max(0, Math.min(REFRESH_POLL_MS, timeoutMs)));
}

/** `instance` decides whose refresh lease is dead: a lease held by a dead instance is taken over at once. */
export function createWpsConnectionsRepository({
  db,
  instance = READ_ONLY_INSTANCE,
}: {
  db: AppDatabase;
  instance?: InstanceIdentity;
}) {
  // Read before MCP requests and on every status check: prepared once.
  const connectionOfUser = db
    .select()
    .from(wpsConnectionsTable)
    .where(eq(wpsConnectionsTable.userId, sql.placeholder('userId')))
    .prepare();

  return withDatabaseErrors({
    async find(userId: string): Promise<WpsConnectionRow | undefined> {
      return connectionOfUser.get({ userId });
    },

    /** A completed authorization always wins: it replaces whatever the user had. */
    async storeAuthorized(
      userId: string,
      pair: SealedTokenPair & { tokenUrl: string },
      now: number,
    ): Promise<void> {
      db.insert(wpsConnectionsTable)
        .values({ userId, status: 'connected', ...pair, generation: 1, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: wpsConnectionsTable.userId,
          set: {
            status: 'connected',
            ...pair,
            generation: sql`${wpsConnectionsTable.generation} + 1`,
            refreshLeaseOwner: null,
            refreshLeaseUntil: null,
            updatedAt: now,
          },
        })
        .run();
    },

    /** Stores a rotated pair only if the stored refresh token is still the one that was used. */
    async replaceIfCurrent(
      userId: string,
      usedRefreshTokenHash: string,
      pair: SealedTokenPair,
      now: number,
    ): Promise<boolean> {
      const result = db
        .update(wpsConnectionsTable)
        .set({
          ...pair,
          status: 'connected',
          generation: sql`${wpsConnectionsTable.generation} + 1`,
          refreshLeaseOwner: null,
          refreshLeaseUntil: null,
          updatedAt: now,
        })
        .where(pairOf(userId, usedRefreshTokenHash))
        .run();
      return result.changes > 0;
    },

    /** WPS rejected this refresh token: mark the user for re-authorization unless a newer pair exists. */
    async markReauthorizationRequiredIfCurrent(
      userId: string,
      usedRefreshTokenHash: string,
      now: number,
    ): Promise<boolean> {
      const result = db
        .update(wpsConnectionsTable)
        .set({
          status: 'reauthorization_required',
          refreshLeaseOwner: null,
          refreshLeaseUntil: null,
          updatedAt: now,
        })
        .where(pairOf(userId, usedRefreshTokenHash))
        .run();
      return result.changes > 0;
    },

    /**
     * Takes the refresh lease for this user if nobody holds a live one and the refresh token is still the
     * one the caller saw. The lease makes refresh single-flight across processes sharing the database. A
     * lease whose holder died (kill -9 mid-refresh) is taken over without waiting for it to run out.
     */
    async acquireRefreshLease(options: RefreshLeaseRequest): Promise<boolean> {
      const result = db
        .update(wpsConnectionsTable)
        .set({ refreshLeaseOwner: options.owner, refreshLeaseUntil: options.now + options.leaseMs })
        .where(
          and(
            pairOf(options.userId, options.refreshTokenHash),
            or(
              isNull(wpsConnectionsTable.refreshLeaseUntil),
              lt(wpsConnectionsTable.refreshLeaseUntil, options.now),
              ownedByDeadInstance(wpsConnectionsTable.refreshLeaseOwner, instance, options.now),
            ),
          ),
        )
        .run();
      return result.changes > 0;
    },

    async releaseRefreshLease(userId: string, owner: string): Promise<void> {
      db.update(wpsConnectionsTable)
        .set({ refreshLeaseOwner: null, refreshLeaseUntil: null })
        .where(and(eq(wpsConnectionsTable.userId, userId), eq(wpsConnectionsTable.refreshLeaseOwner, owner)))
        .run();
    },

    async delete(userId: string): Promise<boolean> {
      return db.delete(wpsConnectionsTable).where(eq(wpsConnectionsTable.userId, userId)).run().changes > 0;
    },

    /**
     * Waits until this user's connection may have changed (a refresh stored, re-authorization marked, the
     * lease released, the row deleted) or `timeoutMs` passed; the caller then looks at the row again.
     * On SQLite that is one short poll interval.
     */
    async waitForRefresh(_userId: string, timeoutMs: number): Promise<void> {
      await pollForRefresh(timeoutMs);
    },
  });
}

export type WpsConnectionsRepository = ReturnType<typeof createWpsConnectionsRepository>;
