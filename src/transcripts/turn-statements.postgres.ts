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
    /**
     * The message's end and the conversation's bump in one statement (a data-modifying CTE), so in one
     * round trip and atomic without a transaction. The message's row lock orders concurrent ends, and the
     * usage sums and the appended model messages are computed from the row it locked: nothing is lost.
     */
    endTurn: prepareNamed(
      'turn_end',
      db
        .with(
          db.$with('ended_message').as(
            db
              .update(messagesTable)
              .set({ ...endTurnChanges(messagesTable), modelMessages: appendedModelMessages(p('added')) })
              .where(eq(messagesTable.id, p('messageId'))),
          ),
        )
        .update(conversationsTable)
        .set({ updatedAt: sql`${p('now')}` })
        .where(eq(conversationsTable.id, p('conversationId'))),
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
 * The statements of `beginTurn`'s transaction, prepared on one pooled connection (see
 * `preparedTransactions`): the user's lock, then one statement that stores the turn start and reads what
 * decides whether it may. Every round trip holds the user's lock a little longer and costs the agent a
 * socket write (about 0.1 ms of CPU on the benchmark's 2 cores) and a reply to parse: the start took 8.
 */
export function prepareTurnTransactionStatements(connection: PostgresConnection, instance: InstanceIdentity) {
  const startTurnByShape = new Map<string, ReturnType<typeof prepareStartTurn>>();
  const lastSequence = sql`(select coalesce(max(${messagesTable.sequence}), 0) from ${messagesTable}
    where ${messagesTable.conversationId} = ${p('conversationId')})`;
  const busy = connection
    .select({ id: messagesTable.id })
    .from(messagesTable)
    .where(and(eq(messagesTable.conversationId, p('conversationId')), inFlight(instance)))
    .limit(1);
  const turnsInFlightOfUser = connection
    .select({ turns: count() })
    .from(messagesTable)
    .innerJoin(conversationsTable, eq(messagesTable.conversationId, conversationsTable.id))
    .where(and(eq(conversationsTable.userId, p('userId')), inFlight(instance)));
  /**
   * The new conversation (when there is one), the messages (one multi-row INSERT) and the bump in data-
   * modifying CTEs, and the busy check and in-flight count as the statement's result. They all see the
   * snapshot taken when it starts, after the lock: the checks count no row of this start, and a check
   * that fails rolls the transaction back, the rows with it. Every message's sequence subquery sees the
   * same snapshot too: row i takes last + i. One statement per shape (rows, new conversation or not),
   * prepared when first needed.
   */
  const prepareStartTurn = (rows: number, newConversation: boolean) => {
    const insertMessages = () =>
      connection.$with('inserted_messages').as(
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
    // A new conversation's row is not visible to this statement's own UPDATE: it is inserted already
    // stamped `now`, and only an existing conversation is bumped.
    const changeConversation = newConversation
      ? connection.$with('inserted_conversation').as(
          connection.insert(conversationsTable).values({
            id: p('id'),
            userId: p('userId'),
            title: p('title'),
            createdAt: p('createdAt'),
            updatedAt: p('updatedAt'),
          }),
        )
      : connection.$with('bumped_conversation').as(
          connection
            .update(conversationsTable)
            .set({ updatedAt: sql`${p('now')}` })
            .where(eq(conversationsTable.id, p('conversationId'))),
        );
    const ctes = rows > 0 ? [changeConversation, insertMessages()] : [changeConversation];
    return prepareNamed(
      `turn_start_${rows}${newConversation ? '_new' : ''}`,
      connection
        .with(...ctes)
        .select({
          busy: sql<boolean>`exists (${busy})`,
          turns: sql<number>`(${turnsInFlightOfUser})`.mapWith(Number),
        })
        .from(sql`(select) as "turn_start"`),
    );
  };
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
    busy: prepareNamed('turn_busy', busy),
    startTurn(rows: number, newConversation: boolean) {
      const shape = `${rows}:${newConversation}`;
      let statement = startTurnByShape.get(shape);
      if (!statement) {
        statement = prepareStartTurn(rows, newConversation);
        startTurnByShape.set(shape, statement);
      }
      return statement;
    },
  };
}
