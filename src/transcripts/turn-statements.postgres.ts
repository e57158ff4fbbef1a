import { and, count, desc, eq, gte, lt, type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { PostgresDatabase } from '../db/postgres-database.js';
import { type PostgresConnection, prepareNamed } from '../db/postgres-prepared.js';
import { type InstanceIdentity, postgresInstanceLiveness } from '../instances/instance-liveness.js';
import { usersTable } from '../users/users.pg-table.js';
import type { BeginTurn } from './conversations.repository.js';
import { endTurnChanges } from './end-turn-changes.js';
import { messageSizeColumns, replayedMessageColumns } from './message-sizes.js';
import { conversationsTable, messagesTable } from './transcripts.pg-tables.js';

const p = (name: string) => sql.placeholder(name);

/**
 * The stored `json` array with the JSON array text `:added` appended, computed by PostgreSQL from the
 * text it holds: nothing stored travels back or is serialised again; `'[]'` leaves the value as it is.
 * Text splicing rather than `jsonb ||`, which would rewrite the whole value as jsonb (reordered keys, no
 * `\u0000`: see postgres-json.ts); both sides are compact `JSON.stringify` arrays, and the `::json` cast
 * checks the result.
 */
function appendedModelMessages(added: Placeholder): SQL {
  const stored = messagesTable.modelMessages;
  return sql`case
    when ${added}::text = '[]' then ${stored}
    when ${stored} is null or ${stored}::text = '[]' then ${added}::json
    else (left(${stored}::text, -1) || ',' || substr(${added}::text, 2))::json
  end`;
}

/**
 * A literal, as in the SQLite twin: it matches the partial index messages_streaming_idx in any plan, the
 * generic plan PostgreSQL settles on for a prepared statement included.
 */
export const isStreaming = sql`${messagesTable.status} = 'streaming'`;

/** Assistant messages still being produced by a live instance: turns in flight. */
const inFlight = (instance: InstanceIdentity) =>
  and(
    eq(messagesTable.role, 'assistant'),
    isStreaming,
    postgresInstanceLiveness.ownedByLiveInstance(messagesTable.instanceId, instance, p('now')),
  );

/**
 * The statements a chat turn runs outside a transaction, prepared once on the pool. Named (each name
 * next to its statement, claimed through `prepareNamed`); JSON set through a raw `sql` placeholder is
 * JSON text.
 */
export function preparePostgresTurnStatements(db: PostgresDatabase) {
  const recentMessages = (where: SQL | undefined, name: string) =>
    prepareNamed(
      name,
      db
        .select(replayedMessageColumns(messagesTable))
        .from(messagesTable)
        .where(where)
        .orderBy(desc(messagesTable.sequence))
        .limit(p('limit')),
    );
  const recentMessageSizes = (where: SQL | undefined, name: string) =>
    prepareNamed(
      name,
      db
        .select(messageSizeColumns(messagesTable, (column) => sql`${column}::text`))
        .from(messagesTable)
        .where(where)
        .orderBy(desc(messagesTable.sequence))
        .limit(p('limit')),
    );
  const ofConversation = eq(messagesTable.conversationId, p('conversationId'));
  return {
    findConversation: prepareNamed(
      'conversations_find',
      db
        .select()
        .from(conversationsTable)
        .where(and(eq(conversationsTable.id, p('id')), eq(conversationsTable.userId, p('userId')))),
    ),
    /**
     * Newest first, before a place in the conversation when given. Two statements, not a `before` that
     * defaults to a huge number: `sequence` is an `integer`, and an optional condition (`$1 is null or`)
     * would leave the generic plan scanning from the newest message whatever the place.
     */
    recentMessages: recentMessages(ofConversation, 'messages_recent'),
    recentMessagesBefore: recentMessages(
      and(ofConversation, lt(messagesTable.sequence, p('before'))),
      'messages_recent_before',
    ),
    recentMessageSizes: recentMessageSizes(ofConversation, 'messages_recent_sizes'),
    recentMessageSizesBefore: recentMessageSizes(
      and(ofConversation, lt(messagesTable.sequence, p('before'))),
      'messages_recent_sizes_before',
    ),
    recentMessageSizesFrom: recentMessageSizes(
      and(ofConversation, gte(messagesTable.sequence, p('from'))),
      'messages_recent_sizes_from',
    ),
    appendStep: prepareNamed(
      'messages_append_step',
      db
        .update(messagesTable)
        .set({ text: sql`${p('text')}`, modelMessages: appendedModelMessages(p('added')) })
        .where(eq(messagesTable.id, p('id'))),
    ),
  };
}

/** The values of row `index`'s placeholders in `insertMessages`. */
export const messagePlaceholderValues = (message: BeginTurn['messages'][number], index: number) => ({
  [`id${index}`]: message.id,
  [`role${index}`]: message.role,
  [`text${index}`]: message.text,
  [`status${index}`]: message.status,
  [`modelMessages${index}`]: message.modelMessages,
  [`error${index}`]: message.error,
  [`createdAt${index}`]: message.createdAt,
});

/**
 * The statements of `beginTurn`'s and `endTurn`'s transactions, prepared on one pooled connection (see
 * `preparedTransactions`). The messages of a turn start go in one multi-row INSERT, one statement per
 * number of rows, prepared when first needed.
 */
export function prepareTurnTransactionStatements(connection: PostgresConnection, instance: InstanceIdentity) {
  const insertMessagesByCount = new Map<number, ReturnType<typeof prepareInsertMessages>>();
  const lastSequence = sql`(select coalesce(max(${messagesTable.sequence}), 0) from ${messagesTable}
    where ${messagesTable.conversationId} = ${p('conversationId')})`;
  // Every row's subquery sees the statement's snapshot, before any of them: row i takes last + i.
  const prepareInsertMessages = (rows: number) =>
    prepareNamed(
      `turn_insert_messages_${rows}`,
      connection.insert(messagesTable).values(
        Array.from({ length: rows }, (_, index) => ({
          id: p(`id${index}`),
          conversationId: p('conversationId'),
          role: p(`role${index}`),
          text: p(`text${index}`),
          status: p(`status${index}`),
          modelMessages: p(`modelMessages${index}`),
          error: p(`error${index}`),
          createdAt: p(`createdAt${index}`),
          sequence: sql`${lastSequence} + ${index + 1}`,
          instanceId: instance.id,
        })),
      ),
    );
  return {
    conversationOwner: prepareNamed(
      'turn_conversation_owner',
      connection
        .select({ userId: conversationsTable.userId })
        .from(conversationsTable)
        .where(eq(conversationsTable.id, p('conversationId'))),
    ),
    lockUser: prepareNamed(
      'turn_lock_user',
      connection
        .select({ id: usersTable.id })
        .from(usersTable)
        .where(eq(usersTable.id, p('userId')))
        .for('no key update'),
    ),
    busy: prepareNamed(
      'turn_busy',
      connection
        .select({ id: messagesTable.id })
        .from(messagesTable)
        .where(and(eq(messagesTable.conversationId, p('conversationId')), inFlight(instance)))
        .limit(1),
    ),
    turnsInFlightOfUser: prepareNamed(
      'turn_in_flight_of_user',
      connection
        .select({ turns: count() })
        .from(messagesTable)
        .innerJoin(conversationsTable, eq(messagesTable.conversationId, conversationsTable.id))
        .where(and(eq(conversationsTable.userId, p('userId')), inFlight(instance))),
    ),
    insertConversation: prepareNamed(
      'turn_insert_conversation',
      connection.insert(conversationsTable).values({
        id: p('id'),
        userId: p('userId'),
        title: p('title'),
        createdAt: p('createdAt'),
        updatedAt: p('updatedAt'),
      }),
    ),
    insertMessages(rows: number) {
      let statement = insertMessagesByCount.get(rows);
      if (!statement) {
        statement = prepareInsertMessages(rows);
        insertMessagesByCount.set(rows, statement);
      }
      return statement;
    },
    bumpConversation: prepareNamed(
      'conversation_bump',
      connection
        .update(conversationsTable)
        .set({ updatedAt: sql`${p('now')}` })
        .where(eq(conversationsTable.id, p('conversationId'))),
    ),
    endTurn: prepareNamed(
      'turn_end',
      connection
        .update(messagesTable)
        .set({ ...endTurnChanges(messagesTable), modelMessages: appendedModelMessages(p('added')) })
        .where(eq(messagesTable.id, p('messageId'))),
    ),
  };
}
