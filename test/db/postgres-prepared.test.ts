import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase, type PostgresDatabase } from '../../src/db/postgres-database.js';
import { migratePostgres } from '../../src/db/postgres-migrations.js';
import { preparedTransactions, prepareNamed } from '../../src/db/postgres-prepared.js';
import { usersTable } from '../../src/db/postgres-schema.js';
import { createRepositories } from '../../src/db/repositories.js';
import { prepareTurnTransactionStatements } from '../../src/transcripts/turn-statements.postgres.js';
import { hasPostgres, startTestDatabase, type TestDatabase } from '../support/postgres.js';

const sourceRoot = path.resolve(import.meta.dirname, '../../src');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

describe('named prepared statements on PostgreSQL', () => {
  // Never connects: preparing builds the SQL, and nothing here runs it.
  let db: PostgresDatabase;
  beforeAll(() => {
    db = openPostgresDatabase('postgres://127.0.0.1:1/never-connected');
  });
  afterAll(async () => {
    await db.$client.end();
  });

  it('a name another statement holds is refused at once; the same statement may claim it again', () => {
    const byId = () =>
      db
        .select()
        .from(usersTable)
        .where(eq(usersTable.id, sql.placeholder('id')));
    const byName = db
      .select()
      .from(usersTable)
      .where(eq(usersTable.name, sql.placeholder('name')));
    prepareNamed('test_user_by_id', byId());
    expect(() => prepareNamed('test_user_by_id', byId())).not.toThrow();
    expect(() => prepareNamed('test_user_by_id', byName)).toThrow(/test_user_by_id.*another statement/);
  });

  it("every repository's statements, and a turn transaction's, have names of their own", () => {
    const instance = { id: 'inst_a', expiryMs: 30_000 };
    expect(() => {
      createRepositories({ dialect: 'postgres', db }, { instance });
      const turn = prepareTurnTransactionStatements(db, instance);
      for (const rows of [0, 1, 2])
        for (const newConversation of [true, false]) turn.startTurn(rows, newConversation);
    }).not.toThrow();
  });

  it('no statement is named past the check (every named prepare goes through prepareNamed)', () => {
    // A name is one word in quotes; SQL text given to better-sqlite3's `prepare` has spaces.
    const namedDirectly = sourceFiles(sourceRoot).filter((file) =>
      /\.prepare\(\s*(['"`])[^\s'"`]*\1/.test(readFileSync(file, 'utf8')),
    );
    expect(namedDirectly.map((file) => path.relative(sourceRoot, file))).toEqual([]);
  });
});

describe.skipIf(!hasPostgres)('transactions with statements prepared per connection', () => {
  let server: TestDatabase;
  let db: PostgresDatabase;
  beforeAll(async () => {
    server = await startTestDatabase();
    await migratePostgres(server.url);
    db = openPostgresDatabase(server.url, { poolSize: 1 });
  }, 60_000);
  afterAll(async () => {
    await db?.$client.end();
    await server?.stop();
  });

  /** Transactions whose one statement inserts a user by id. */
  const userInserts = () =>
    preparedTransactions(db.$client, (connection) =>
      prepareNamed(
        'test_insert_user',
        connection
          .insert(usersTable)
          .values({ id: sql.placeholder('id'), name: sql.placeholder('id'), createdAt: 1 }),
      ),
    );

  it("run on the transaction's connection: a failing transaction takes their writes back", async () => {
    const transaction = userInserts();
    await transaction((insertUser) => insertUser.execute({ id: 'usr_kept' }));
    await expect(
      transaction(async (insertUser) => {
        await insertUser.execute({ id: 'usr_rolled_back' });
        throw new Error('after the insert');
      }),
    ).rejects.toThrow('after the insert');
    const users = await db.select({ id: usersTable.id }).from(usersTable);
    expect(users).toEqual([{ id: 'usr_kept' }]);
  });

  it('sent together, one failing takes the others back, and the connection serves the next', async () => {
    const transaction = userInserts();
    // Both inserts go out behind the BEGIN before either is answered; the second meets the first's row.
    await expect(
      transaction((insertUser) =>
        Promise.all([insertUser.execute({ id: 'usr_twice' }), insertUser.execute({ id: 'usr_twice' })]),
      ),
    ).rejects.toMatchObject({ cause: { code: '23505' } });
    await transaction((insertUser) => insertUser.execute({ id: 'usr_after' }));
    const users = await db.select({ id: usersTable.id }).from(usersTable);
    expect(users.map((user) => user.id)).not.toContain('usr_twice');
    expect(users.map((user) => user.id)).toContain('usr_after');
  });

  it('a work that throws before returning is rolled back too, and its connection is not left inside it', async () => {
    const transaction = userInserts();
    await expect(
      transaction((insertUser) => {
        void insertUser.execute({ id: 'usr_thrown' }).catch(() => undefined);
        throw new Error('thrown at once');
      }),
    ).rejects.toThrow('thrown at once');
    // The pool has one connection: were it still in the transaction, this insert would join it.
    await transaction((insertUser) => insertUser.execute({ id: 'usr_next' }));
    const users = (await db.select({ id: usersTable.id }).from(usersTable)).map((user) => user.id);
    expect(users).not.toContain('usr_thrown');
    expect(users).toContain('usr_next');
  });

  it('are prepared once per connection, however many transactions run on it', async () => {
    let prepared = 0;
    const transaction = preparedTransactions(db.$client, (connection) => {
      prepared += 1;
      return prepareNamed('test_count_users', connection.select({ id: usersTable.id }).from(usersTable));
    });
    for (let run = 0; run < 3; run++) await transaction((countUsers) => countUsers.execute());
    expect(prepared).toBe(1);
  });
});
