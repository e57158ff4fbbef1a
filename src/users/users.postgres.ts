import { and, asc, count, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { withDatabaseErrors } from '../db/database-errors.js';
import type { PostgresDatabase } from '../db/postgres-database.js';
import { prepareNamed } from '../db/postgres-prepared.js';
import { apiKeysTable, usersTable } from './users.pg-table.js';
import type { ApiKeyRow, User, UsersRepository } from './users.repository.js';

/** The PostgreSQL twin of users.repository.ts: same methods, same meaning (see the comments there). */
export function createPostgresUsersRepository({ db }: { db: PostgresDatabase }): UsersRepository {
  // Every /v1 request runs this query: a named prepared statement is parsed and planned once per pool
  // connection instead of on every request.
  const userByActiveKeyHash = prepareNamed(
    'user_by_key_hash',
    db
      .select({ id: usersTable.id, name: usersTable.name, createdAt: usersTable.createdAt })
      .from(apiKeysTable)
      .innerJoin(usersTable, eq(apiKeysTable.userId, usersTable.id))
      .where(and(eq(apiKeysTable.keyHash, sql.placeholder('keyHash')), isNull(apiKeysTable.revokedAt))),
  );
  // …and the key's last-use stamp after each lookup.
  const touchKey = prepareNamed(
    'api_key_touch',
    db
      .update(apiKeysTable)
      .set({ lastUsedAt: sql`${sql.placeholder('now')}` })
      .where(
        and(
          eq(apiKeysTable.keyHash, sql.placeholder('keyHash')),
          or(isNull(apiKeysTable.lastUsedAt), lt(apiKeysTable.lastUsedAt, sql.placeholder('staleBefore'))),
        ),
      ),
  );

  return withDatabaseErrors({
    async insertUser(user: User): Promise<void> {
      await db.insert(usersTable).values(user);
    },
    async listUsers(): Promise<User[]> {
      return db.select().from(usersTable).orderBy(asc(usersTable.createdAt), asc(usersTable.id));
    },
    async countUsers(): Promise<number> {
      const [row] = await db.select({ count: count() }).from(usersTable);
      return row?.count ?? 0;
    },
    async findUserById(id: string): Promise<User | undefined> {
      const [user] = await db.select().from(usersTable).where(eq(usersTable.id, id));
      return user;
    },
    async findUserByName(name: string): Promise<User | undefined> {
      const [user] = await db.select().from(usersTable).where(eq(usersTable.name, name));
      return user;
    },
    async insertApiKey(key: ApiKeyRow): Promise<void> {
      await db.insert(apiKeysTable).values(key);
    },
    /** Both inserts in one transaction: a failed key insert leaves no keyless user. */
    async insertUserWithApiKey(user: User, key: ApiKeyRow): Promise<void> {
      await db.transaction(async (transaction) => {
        await transaction.insert(usersTable).values(user);
        await transaction.insert(apiKeysTable).values(key);
      });
    },
    async findUserByActiveKeyHash(keyHash: string): Promise<User | undefined> {
      const [user] = await userByActiveKeyHash.execute({ keyHash });
      return user;
    },
    /** A guarded single UPDATE: of two concurrent revocations exactly one reports true. */
    async revokeApiKey(id: string, revokedAt: number): Promise<boolean> {
      const result = await db
        .update(apiKeysTable)
        .set({ revokedAt })
        .where(and(eq(apiKeysTable.id, id), isNull(apiKeysTable.revokedAt)));
      return (result.rowCount ?? 0) > 0;
    },
    async findApiKey(id: string) {
      const [key] = await db.select().from(apiKeysTable).where(eq(apiKeysTable.id, id));
      return key;
    },
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
        .orderBy(asc(apiKeysTable.createdAt), asc(apiKeysTable.id));
    },
    async touchApiKey(keyHash: string, now: number, staleBefore: number): Promise<void> {
      await touchKey.execute({ keyHash, now, staleBefore });
    },
  });
}
