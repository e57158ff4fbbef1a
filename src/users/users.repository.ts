import { and, asc, count, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { withDatabaseErrors } from '../db/database-errors.js';
import { apiKeysTable, usersTable } from './users.table.js';

export interface User {
  id: string;
  name: string;
  createdAt: number;
}

export interface ApiKeyRow {
  id: string;
  userId: string;
  keyHash: string;
  prefix: string;
  createdAt: number;
}

export function createUsersRepository({ db }: { db: AppDatabase }) {
  // Every /v1 request runs this query: prepared once rather than rebuilt per request.
  const userByActiveKeyHash = db
    .select({ id: usersTable.id, name: usersTable.name, createdAt: usersTable.createdAt })
    .from(apiKeysTable)
    .innerJoin(usersTable, eq(apiKeysTable.userId, usersTable.id))
    .where(and(eq(apiKeysTable.keyHash, sql.placeholder('keyHash')), isNull(apiKeysTable.revokedAt)))
    .prepare();
  // Follows each of those lookups that finds a key; matches no row while the stamp is fresh, so it is cheap.
  const touchKey = db
    .update(apiKeysTable)
    // Wrapped: drizzle's `set` types take SQL, not a bare placeholder.
    .set({ lastUsedAt: sql`${sql.placeholder('now')}` })
    .where(
      and(
        eq(apiKeysTable.keyHash, sql.placeholder('keyHash')),
        or(isNull(apiKeysTable.lastUsedAt), lt(apiKeysTable.lastUsedAt, sql.placeholder('staleBefore'))),
      ),
    )
    .prepare();

  return withDatabaseErrors({
    async insertUser(user: User): Promise<void> {
      db.insert(usersTable).values(user).run();
    },
    async listUsers(): Promise<User[]> {
      return db.select().from(usersTable).orderBy(asc(usersTable.createdAt), asc(usersTable.id)).all();
    },
    async countUsers(): Promise<number> {
      return db.select({ count: count() }).from(usersTable).get()?.count ?? 0;
    },
    async findUserById(id: string): Promise<User | undefined> {
      return db.select().from(usersTable).where(eq(usersTable.id, id)).get();
    },
    async findUserByName(name: string): Promise<User | undefined> {
      return db.select().from(usersTable).where(eq(usersTable.name, name)).get();
    },
    async insertApiKey(key: ApiKeyRow): Promise<void> {
      db.insert(apiKeysTable).values(key).run();
    },
    /** A new user and its first key together, or neither (a failed key insert leaves no keyless user). */
    async insertUserWithApiKey(user: User, key: ApiKeyRow): Promise<void> {
      db.transaction(
        (transaction) => {
          transaction.insert(usersTable).values(user).run();
          transaction.insert(apiKeysTable).values(key).run();
        },
        { behavior: 'immediate' },
      );
    },
    /** The user owning an active (not revoked) key with this hash. */
    async findUserByActiveKeyHash(keyHash: string): Promise<User | undefined> {
      return userByActiveKeyHash.get({ keyHash });
    },
    /** Marks a key revoked; false when no active key has this id. */
    async revokeApiKey(id: string, revokedAt: number): Promise<boolean> {
      const result = db
        .update(apiKeysTable)
        .set({ revokedAt })
        .where(and(eq(apiKeysTable.id, id), isNull(apiKeysTable.revokedAt)))
        .run();
      return result.changes > 0;
    },
    async findApiKey(id: string) {
      return db.select().from(apiKeysTable).where(eq(apiKeysTable.id, id)).get();
    },
    /** A user's keys, oldest first, without their hashes. */
    async listApiKeys(userId: string) {
      return db
        .select({
          id: apiKeysTable.id,
          createdAt: apiKeysTable.createdAt,
          lastUsedAt: apiKeysTable.lastUsedAt,
          revokedAt: apiKeysTable.revokedAt,
        })
        .from(apiKeysTable)
        .where(eq(apiKeysTable.userId, userId))
        .orderBy(asc(apiKeysTable.createdAt), asc(apiKeysTable.id))
        .all();
    },
    /** Stamps a key's last use unless it was stamped after `staleBefore` (one write per key per interval). */
    async touchApiKey(keyHash: string, now: number, staleBefore: number): Promise<void> {
      touchKey.run({ keyHash, now, staleBefore });
    },
  });
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
