import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { getTableName, is, Table } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATION_LOCK_KEY, migratePostgres } from '../../src/db/postgres-migrations.js';
import * as postgresSchema from '../../src/db/postgres-schema.js';
import { hasPostgres, startTestDatabase, type TestDatabase } from '../support/postgres.js';

/** Every table of the PostgreSQL drizzle schema (test/db/schema-parity.test.ts ties it to SQLite's). */
const expectedTables = Object.values(postgresSchema)
  .filter((value) => is(value, Table))
  .map((table) => getTableName(table))
  .sort();

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** A separate OS process that migrates, like an instance starting up; resolves with its exit code. */
function migrateInChildProcess(url: string): { exit: Promise<{ code: number | null; output: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/db/migrate-postgres-process.ts', url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  return { exit: new Promise((resolve) => child.on('exit', (code) => resolve({ code, output }))) };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

const appliedMigrations = (url: string) =>
  query<{ hash: string }>(url, 'select hash from drizzle.__drizzle_migrations order by id');

describe.skipIf(!hasPostgres)('PostgreSQL migrations', () => {
  const databases: TestDatabase[] = [];
  const freshDatabase = async () => {
    const database = await startTestDatabase();
    databases.push(database);
    return database.url;
  };
  let url: string;

  beforeAll(async () => {
    url = await freshDatabase();
  });
  afterAll(async () => {
    for (const database of databases) await database.stop();
  });

  it('create every table, index and foreign key on a fresh database; a second run changes nothing', async () => {
    await migratePostgres(url);
    const tables = await query<{ table_name: string }>(
      url,
      "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
    );
    expect(expectedTables).toHaveLength(10);
    expect(tables.map((row) => row.table_name)).toEqual(expectedTables);
    const applied = await appliedMigrations(url);
    expect(applied.length).toBeGreaterThan(0);

    await migratePostgres(url);
    expect(await appliedMigrations(url)).toEqual(applied);
  });

  it('enforce the schema: unique places in a conversation, cascading deletes, jsonb and bigint milliseconds', async () => {
    const now = Date.UTC(2026, 0, 1);
    await query(url, "insert into users (id, name, created_at) values ('usr_1', 'ann', $1)", [now]);
    await query(
      url,
      "insert into conversations (id, user_id, title, created_at, updated_at) values ('conv_1', 'usr_1', 't', $1, $1)",
      [now],
    );
    const insertMessage = (id: string) =>
      query(
        url,
        `insert into messages (id, conversation_id, role, text, status, created_at, sequence, model_messages)
         values ($1, 'conv_1', 'user', 'hi', 'complete', $2, 1, $3)`,
        [id, now, JSON.stringify([{ role: 'user', content: 'hi' }])],
      );
    await insertMessage('msg_1');
    await expect(insertMessage('msg_2')).rejects.toThrow(/messages_conversation_sequence_idx/);

    const [message] = await query<{ created_at: string; model_messages: unknown }>(
      url,
      "select created_at, model_messages from messages where id = 'msg_1'",
    );
    expect(Number(message!.created_at)).toBe(now);
    expect(message!.model_messages).toEqual([{ role: 'user', content: 'hi' }]);

    await query(url, "delete from users where id = 'usr_1'");
    expect(await query(url, 'select id from messages')).toEqual([]);
  });

  it('run once when two processes start migrating at the same moment (they queue on the advisory lock)', async () => {
    const racedUrl = await freshDatabase();
    // Hold the lock ourselves so both processes are provably waiting on it before either may proceed.
    const holder = new pg.Client({ connectionString: racedUrl });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const first = migrateInChildProcess(racedUrl);
      const second = migrateInChildProcess(racedUrl);
      await waitFor(async () => {
        const waiting = await holder.query(
          `select count(*)::int as n from pg_locks
           where locktype = 'advisory' and not granted
             and database = (select oid from pg_database where datname = current_database())`,
        );
        return waiting.rows[0].n === 2;
      }, 15_000);
      await holder.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);

      const results = await Promise.all([first.exit, second.exit]);
      for (const result of results) expect(result, result.output).toMatchObject({ code: 0 });
    } finally {
      await holder.end();
    }
    // Exactly one set of migrations recorded, the same as a single run on its own produced.
    expect(await appliedMigrations(racedUrl)).toEqual(await appliedMigrations(url));
  });
});
