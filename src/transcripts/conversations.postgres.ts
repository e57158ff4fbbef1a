import { and, asc, count, desc, eq, gte, isNull, lt, max, type SQL, sql } from 'drizzle-orm';
import { withDatabaseErrors } from '../db/database-errors.js';
import type { PostgresDatabase } from '../db/postgres-database.js';
import {
  type InstanceIdentity,
  postgresInstanceLiveness,
  READ_ONLY_INSTANCE,
} from '../instances/instance-liveness.js';
import { errors } from '../shared/errors.js';
import type { TurnUsage } from '../usage/turn-usage.js';
import { usersTable } from '../users/users.pg-table.js';
import type { ConversationRow, ConversationsRepository, MessageRow } from './conversations.repository.js';
import { olderThan } from './list-conditions.js';
import { conversationsTable, messagesTable } from './transcripts.pg-tables.js';

const { ownedByDeadInstance, ownedByLiveInstance } = postgresInstanceLiveness;

/** How long a user over the in-flight limit is told to wait: turns usually finish within seconds. */
const TURN_LIMIT_RETRY_AFTER_SECONDS = 5;

type Transaction = Parameters<Parameters<PostgresDatabase['transaction']>[0]>[0];

/** Moves a conversation to the top of its user's list (newest `updatedAt` first). */
async function bumpConversation(database: Transaction, conversationId: string, now: number): Promise<void> {
  await database
    .update(conversationsTable)
    .set({ updatedAt: now })
    .where(eq(conversationsTable.id, conversationId));
}

const keepAborted = (status: MessageRow['status']) =>
  sql<MessageRow['status']>`case when ${messagesTable.status} = 'aborted' then 'aborted' else ${status} end`;

/**
 * The PostgreSQL implementation of conversations.repository.ts (same methods, same meaning; the comments
 * there describe each). Here only what PostgreSQL needs differently: how a turn start stays one-at-a-time
 * when several instances start turns at once under READ COMMITTED.
 */
export function createPostgresConversationsRepository({
  db,
  instance = READ_ONLY_INSTANCE,
  turnsInFlightPerUser = Number.POSITIVE_INFINITY,
}: {
  db: PostgresDatabase;
  instance?: InstanceIdentity;
  turnsInFlightPerUser?: number;
}): ConversationsRepository {
  // A literal, as in the SQLite twin: it matches the partial index messages_streaming_idx in any plan,
  // a generic one of a prepared statement included.
  const isStreaming = sql`${messagesTable.status} = 'streaming'`;
  /** Assistant messages still being produced by a live instance: turns in flight. */
  const inFlight = (now: number) =>
    and(
      eq(messagesTable.role, 'assistant'),
      isStreaming,
      ownedByLiveInstance(messagesTable.instanceId, instance, now),
    );

  // One guarded UPDATE: a row another statement changes meanwhile is re-checked against `streaming`.
  const abortStreamingWhere = async (condition: SQL | undefined) =>
    (await db.update(messagesTable).set({ status: 'aborted' }).where(and(isStreaming, condition))).rowCount ??
    0;

  return withDatabaseErrors({
    async findConversation(userId: string, id: string): Promise<ConversationRow | undefined> {
      const [row] = await db
        .select()
        .from(conversationsTable)
        .where(and(eq(conversationsTable.id, id), eq(conversationsTable.userId, userId)));
      return row;
    },

    async listConversations(options: {
      userId: string;
      before?: { updatedAt: number; id: string };
      limit: number;
    }): Promise<ConversationRow[]> {
      const { before } = options;
      return db
        .select()
        .from(conversationsTable)
        .where(
          and(
            eq(conversationsTable.userId, options.userId),
            before &&
              olderThan(conversationsTable.updatedAt, conversationsTable.id, {
                at: before.updatedAt,
                id: before.id,
              }),
          ),
        )
        .orderBy(desc(conversationsTable.updatedAt), desc(conversationsTable.id))
        .limit(options.limit);
    },

    async listConversationsSince(userId: string, since: number): Promise<ConversationRow[]> {
      return db
        .select()
        .from(conversationsTable)
        .where(and(eq(conversationsTable.userId, userId), gte(conversationsTable.updatedAt, since)))
        .orderBy(asc(conversationsTable.createdAt), asc(conversationsTable.id));
    },

    async deleteConversation(userId: string, id: string): Promise<boolean> {
      const deleted = await db
        .delete(conversationsTable)
        .where(and(eq(conversationsTable.id, id), eq(conversationsTable.userId, userId)));
      return (deleted.rowCount ?? 0) > 0;
    },

    /**
     * Under READ COMMITTED the busy check, the in-flight count and `max(sequence) + 1` would each see
     * only what was committed when they ran: two instances could both find the conversation idle. So the
     * transaction first locks the user's row (it always exists: conversations reference it), which
     * queues one user's turn starts one after the other across every instance; each statement after the
     * lock sees the turns the previous holder committed. `no key update` rather than `update`: the
     * foreign-key checks of the user's other writes meanwhile (tool calls, approvals) take a key-share
     * lock on the same row, which this strength does not block. A new conversation's insert is guarded
     * by its primary key.
     */
    async beginTurn(options: {
      newConversation?: ConversationRow;
      conversationId: string;
      messages: Array<Omit<MessageRow, 'sequence' | 'conversationId' | 'instanceId' | keyof TurnUsage>>;
      now: number;
    }): Promise<void> {
      await db.transaction(async (transaction) => {
        const userId =
          options.newConversation?.userId ??
          (
            await transaction
              .select({ userId: conversationsTable.userId })
              .from(conversationsTable)
              .where(eq(conversationsTable.id, options.conversationId))
          )[0]?.userId;
        if (userId !== undefined)
          await transaction
            .select({ id: usersTable.id })
            .from(usersTable)
            .where(eq(usersTable.id, userId))
            .for('no key update');
        const [busy] = await transaction
          .select({ id: messagesTable.id })
          .from(messagesTable)
          .where(and(eq(messagesTable.conversationId, options.conversationId), inFlight(options.now)))
          .limit(1);
        if (busy) throw errors.conversationBusy();
        const [running] = await transaction
          .select({ turns: count() })
          .from(messagesTable)
          .innerJoin(conversationsTable, eq(messagesTable.conversationId, conversationsTable.id))
          .where(and(eq(conversationsTable.userId, userId ?? ''), inFlight(options.now)));
        if ((running?.turns ?? 0) >= turnsInFlightPerUser)
          throw errors.rateLimited(
            `At most ${turnsInFlightPerUser} chat turns may run at once; wait for one to finish.`,
            TURN_LIMIT_RETRY_AFTER_SECONDS,
          );
        if (options.newConversation)
          await transaction.insert(conversationsTable).values(options.newConversation);
        const [last] = await transaction
          .select({ sequence: max(messagesTable.sequence) })
          .from(messagesTable)
          .where(eq(messagesTable.conversationId, options.conversationId));
        const after = last?.sequence ?? 0;
        // One multi-row INSERT: each round trip holds the user's lock a little longer.
        if (options.messages.length > 0)
          await transaction.insert(messagesTable).values(
            options.messages.map((message, index) => ({
              ...message,
              conversationId: options.conversationId,
              sequence: after + index + 1,
              instanceId: instance.id,
            })),
          );
        await bumpConversation(transaction, options.conversationId, options.now);
      });
    },

    async updateMessage(
      id: string,
      changes: Partial<Pick<MessageRow, 'text' | 'status' | 'modelMessages' | 'error'>>,
    ): Promise<void> {
      await db.update(messagesTable).set(changes).where(eq(messagesTable.id, id));
    },

    /**
     * Two UPDATEs and no read: the message's row lock orders concurrent ends, and the usage sums are
     * computed by the UPDATE itself from the row it locked, so no addition is lost.
     */
    async endTurn(options: {
      conversationId: string;
      messageId: string;
      changes: Partial<Pick<MessageRow, 'text' | 'status' | 'error' | 'modelMessages'>>;
      usage?: TurnUsage;
      now: number;
    }): Promise<void> {
      await db.transaction(async (transaction) => {
        const { status, ...changes } = options.changes;
        const { usage } = options;
        await transaction
          .update(messagesTable)
          .set({
            ...changes,
            // A turn closed as aborted (shutdown, a dead instance) stays aborted whatever ends it later.
            ...(status ? { status: keepAborted(status) } : {}),
            ...(usage
              ? {
                  inputTokens: sql`${messagesTable.inputTokens} + ${usage.inputTokens}`,
                  outputTokens: sql`${messagesTable.outputTokens} + ${usage.outputTokens}`,
                  totalTokens: sql`${messagesTable.totalTokens} + ${usage.totalTokens}`,
                  modelRequests: sql`${messagesTable.modelRequests} + ${usage.modelRequests}`,
                }
              : {}),
          })
          .where(eq(messagesTable.id, options.messageId));
        await bumpConversation(transaction, options.conversationId, options.now);
      });
    },

    /** A guarded single UPDATE: a second claimer waits for the first's row lock, then no longer matches. */
    async claimPausedTurn(messageId: string): Promise<MessageRow | undefined> {
      const [claimed] = await db
        .update(messagesTable)
        .set({ status: 'streaming', instanceId: instance.id })
        .where(and(eq(messagesTable.id, messageId), eq(messagesTable.status, 'awaiting_approval')))
        .returning();
      return claimed;
    },

    async listMessages(conversationId: string): Promise<MessageRow[]> {
      return db
        .select()
        .from(messagesTable)
        .where(eq(messagesTable.conversationId, conversationId))
        .orderBy(asc(messagesTable.sequence));
    },

    async abortStreamingStartedBefore(before: number): Promise<number> {
      return abortStreamingWhere(and(isNull(messagesTable.instanceId), lt(messagesTable.createdAt, before)));
    },

    async abortStreamingOfDeadInstances(now: number): Promise<number> {
      return abortStreamingWhere(ownedByDeadInstance(messagesTable.instanceId, instance, now));
    },

    async abortStreamingOfThisInstance(): Promise<number> {
      return abortStreamingWhere(eq(messagesTable.instanceId, instance.id));
    },
  });
}
