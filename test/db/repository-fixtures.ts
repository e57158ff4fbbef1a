/**
 * Rows and processes the repository contract suites stand on, for either database: users and instance
 * rows written straight into their tables (their own repositories are tested elsewhere), and "another
 * process": on PostgreSQL a second connection pool with its own instance identity, the fair stand-in for
 * a second server on the same database; on SQLite the same in-memory database.
 */
import { sql } from 'drizzle-orm';
import { afterEach } from 'vitest';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';
import { openPostgresDatabase } from '../../src/db/postgres-database.js';
import * as postgresSchema from '../../src/db/postgres-schema.js';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import * as sqliteSchema from '../../src/db/schema.js';
import type { InstanceIdentity } from '../../src/instances/instance-liveness.js';
import type { MessageRow } from '../../src/transcripts/conversations.repository.js';
import type { DatabaseFixture } from '../support/test-databases.js';

export const T0 = Date.UTC(2026, 11, 1);
export const EXPIRY_MS = 30_000;

export async function seedUser(fixture: DatabaseFixture, id: string): Promise<void> {
  const row = { id, name: id, createdAt: T0 };
  const database = fixture.database();
  if (database.dialect === 'sqlite') database.db.insert(sqliteSchema.usersTable).values(row).run();
  else await database.db.insert(postgresSchema.usersTable).values(row);
}

/** An instance row whose heartbeat runs out at `expiresAt` (dead once `now` is past it). */
export async function seedInstance(fixture: DatabaseFixture, id: string, expiresAt: number): Promise<void> {
  const row = { id, pid: 1, host: 'test', startedAt: T0, heartbeatAt: expiresAt - EXPIRY_MS, expiresAt };
  const database = fixture.database();
  if (database.dialect === 'sqlite') database.db.insert(sqliteSchema.instancesTable).values(row).run();
  else await database.db.insert(postgresSchema.instancesTable).values(row);
}

/** Makes a work row look written before instances were recorded: only its age tells it was abandoned. */
export async function forgetOwner(fixture: DatabaseFixture, table: 'messages' | 'tool_calls', id: string) {
  const statement = sql`update ${sql.identifier(table)} set instance_id = null where id = ${id}`;
  const database = fixture.database();
  if (database.dialect === 'sqlite') database.db.run(statement);
  else await database.db.execute(statement);
}

export const instanceNamed = (id: string): InstanceIdentity => ({ id, expiryMs: EXPIRY_MS });

/**
 * `otherProcess(options)` gives the repositories as a second server sees them; its pools are closed
 * after each test.
 */
export function usesOtherProcesses(fixture: DatabaseFixture) {
  const pools: Array<{ end(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
  });
  return (options: Parameters<DatabaseFixture['repositories']>[0] = {}): Repositories => {
    if (fixture.dialect === 'sqlite') return fixture.repositories(options);
    const db = openPostgresDatabase(fixture.url());
    pools.push(db.$client);
    return createRepositories({ dialect: 'postgres', db }, options);
  };
}

/** Repositories on a database that has gone away (a closed SQLite connection, an ended pool). */
export async function repositoriesOnClosedDatabase(fixture: DatabaseFixture): Promise<Repositories> {
  if (fixture.dialect === 'sqlite') {
    const db = openDatabase(':memory:');
    migrateDatabase(db); // some repositories prepare their statements up front
    const repositories = createRepositories({ dialect: 'sqlite', db });
    db.$client.close();
    return repositories;
  }
  const db = openPostgresDatabase(fixture.url());
  const repositories = createRepositories({ dialect: 'postgres', db });
  await db.$client.end();
  return repositories;
}

type NewMessage = Omit<
  MessageRow,
  | 'sequence'
  | 'conversationId'
  | 'instanceId'
  | 'inputTokens'
  | 'outputTokens'
  | 'totalTokens'
  | 'modelRequests'
>;

/** A turn's two messages: the user's and the assistant's, still `streaming`. */
export function turnMessages(name: string, at = T0): NewMessage[] {
  return [
    {
      id: `msg_${name}_user`,
      role: 'user',
      text: `question ${name}`,
      status: 'complete',
      modelMessages: null,
      error: null,
      createdAt: at,
    },
    {
      id: `msg_${name}`,
      role: 'assistant',
      text: '',
      status: 'streaming',
      modelMessages: [],
      error: null,
      createdAt: at,
    },
  ];
}

export const newConversation = (id: string, userId: string, at = T0) => ({
  id,
  userId,
  title: id,
  createdAt: at,
  updatedAt: at,
});

/** Starts a turn in a new conversation `conv_<name>`; its assistant message is `msg_<name>`. */
export async function startTurnInNewConversation(
  repositories: Repositories,
  options: { name: string; userId: string; at?: number },
): Promise<void> {
  const at = options.at ?? T0;
  await repositories.conversations.beginTurn({
    newConversation: newConversation(`conv_${options.name}`, options.userId, at),
    conversationId: `conv_${options.name}`,
    messages: turnMessages(options.name, at),
    now: at,
  });
}

/** Which of several concurrent attempts fulfilled, and the error codes of the rest. */
export async function outcomesOf(attempts: Array<Promise<unknown>>) {
  const settled = await Promise.allSettled(attempts);
  return {
    fulfilled: settled.filter((outcome) => outcome.status === 'fulfilled').length,
    errorCodes: settled
      .filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')
      .map((outcome) => (outcome.reason as { code?: string }).code ?? String(outcome.reason)),
  };
}
