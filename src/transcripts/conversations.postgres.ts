import { and, asc, desc, eq, gte, isNull, lt, notInArray, type SQL } from 'drizzle-orm';
import { isPostgresUniqueViolation, withDatabaseErrors } from '../db/database-errors.js';
import type { PostgresDatabase } from '../db/postgres-database.js';
import { preparedTransactions } from '../db/postgres-prepared.js';
import {
  type InstanceIdentity,
  postgresInstanceLiveness,
  READ_ONLY_INSTANCE,
} from '../instances/instance-liveness.js';
import { errors } from '../shared/errors.js';
import { noUsage } from '../usage/turn-usage.js';
import {
  type BeginTurn,
  type ConversationRow,
  type ConversationsRepository,
  type EndTurn,
  FINISHED_STATUSES,
  type MessageRow,
  type MessageSize,
  type RecentMessagesPage,
  type ReplayedMessage,
} from './conversations.repository.js';
import { olderThan, unattachedCallsOf } from './list-conditions.js';
import { storableChanges, storableText } from './message-text.js';
import { conversationsTable, messagesTable, toolCallsTable } from './transcripts.pg-tables.js';
import {
  isStreaming,
  messagePlaceholderValues,
  preparePostgresTurnStatements,
  prepareTurnTransactionStatements,
} from './turn-statements.postgres.js';

const { ownedByDeadInstance } = postgresInstanceLiveness;

/** How long a user over the in-flight limit is told to wait: turns usually finish within seconds. */
const TURN_LIMIT_RETRY_AFTER_SECONDS = 5;

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
  const statements = preparePostgresTurnStatements(db);
  const turnTransaction = preparedTransactions(db.$client, (connection) =>
    prepareTurnTransactionStatements(connection, instance),
  );

  // One guarded UPDATE: a row another statement changes meanwhile is re-checked against `streaming`.
  const abortStreamingWhere = async (condition: SQL | undefined) =>
    (await db.update(messagesTable).set({ status: 'aborted' }).where(and(isStreaming, condition))).rowCount ??
    0;

  return withDatabaseErrors({
    async findConversation(userId: string, id: string): Promise<ConversationRow | undefined> {
      const [row] = await statements.findConversation.execute({ id, userId });
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

    /**
     * The conversation, its messages and their tool calls, and the calls with no message that name it:
     * one statement, so atomic without a transaction.
     */
    async deleteConversation(userId: string, id: string): Promise<boolean> {
      const unattachedCalls = db
        .$with('deleted_unattached_calls')
        .as(db.delete(toolCallsTable).where(unattachedCallsOf(toolCallsTable, userId, id)));
      const deleted = await db
        .with(unattachedCalls)
        .delete(conversationsTable)
        .where(and(eq(conversationsTable.id, id), eq(conversationsTable.userId, userId)));
      return (deleted.rowCount ?? 0) > 0;
    },

    /**
     * Under READ COMMITTED the busy check, the in-flight count and `max(sequence) + 1` would each see
     * only what was committed when they ran: two instances could both find the conversation idle. So the
     * transaction first locks the user's row (it always exists: conversations reference it), which
     * queues one user's turn starts one after the other across every instance; the statement after the
     * lock (`startTurn` in turn-statements.postgres.ts) sees the turns the previous holder committed.
     * `no key update` rather than `update`: the foreign-key checks of the user's other writes meanwhile
     * (tool calls, approvals) take a key-share lock on the same row, which this strength does not block.
     * A new conversation's insert is guarded by its primary key.
     */
    async beginTurn(options: BeginTurn): Promise<void> {
      const { conversationId, now } = options;
      try {
        await turnTransaction(async (turn) => {
          const userId =
            options.userId ??
            options.newConversation?.userId ??
            (await turn.conversationOwner.execute({ conversationId }))[0]?.userId;
          // Sent together, with the BEGIN before them (preparedTransactions): the server runs the start
          // only once the lock is held, and its snapshot is taken then.
          const locked = userId === undefined ? undefined : turn.lockUser.execute({ userId });
          const started = turn
            .startTurn(options.messages.length, options.newConversation !== undefined)
            .execute(
              Object.assign(
                { conversationId, now, userId: userId ?? '' },
                options.newConversation,
                ...options.messages.map(messagePlaceholderValues),
              ),
            );
          const [, [checks]] = await Promise.all([locked, started]);
          // Thrown inside the transaction: its rollback takes back what the statement stored.
          if (checks?.busy) throw errors.conversationBusy();
          if ((checks?.turns ?? 0) >= turnsInFlightPerUser)
            throw errors.rateLimited(
              `At most ${turnsInFlightPerUser} chat turns may run at once; wait for one to finish.`,
              TURN_LIMIT_RETRY_AFTER_SECONDS,
            );
        });
      } catch (error) {
        // Two starts of one new conversation: the second's insert waited for the first to commit, then
        // met its row. The first's turn is what makes the conversation busy, as the check would have said.
        if (
          options.newConversation &&
          isPostgresUniqueViolation(error, 'conversations_pkey') &&
          (await turnTransaction(
            async (turn) => (await turn.busy.execute({ conversationId, now })).length > 0,
          ))
        )
          throw errors.conversationBusy();
        throw error;
      }
    },

    async failUnfinishedTurn(id: string, error: string): Promise<boolean> {
      const marked = await db
        .update(messagesTable)
        .set({ status: 'error', error: storableText(error) })
        .where(and(eq(messagesTable.id, id), notInArray(messagesTable.status, FINISHED_STATUSES)))
        .returning({ id: messagesTable.id });
      return marked.length > 0;
    },

    async appendStep(id: string, step: { text: string; modelMessages: unknown[] }): Promise<void> {
      const added = JSON.stringify(step.modelMessages);
      await statements.appendStep.execute({ id, text: storableText(step.text), added });
    },

    /** One statement (see `endTurn` in turn-statements.postgres.ts): no transaction, one round trip. */
    async endTurn(options: EndTurn): Promise<void> {
      const { text, status, error } = storableChanges(options.changes);
      await statements.endTurn.execute({
        messageId: options.messageId,
        conversationId: options.conversationId,
        now: options.now,
        text: text ?? null,
        status: status ?? null,
        setError: error !== undefined,
        error: error ?? null,
        added: JSON.stringify(options.appendModelMessages ?? []),
        ...(options.usage ?? noUsage()),
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

    async listRecentMessages(
      conversationId: string,
      page: { beforeSequence?: number; limit: number },
    ): Promise<ReplayedMessage[]> {
      const { beforeSequence: before, limit } = page;
      return before === undefined
        ? statements.recentMessages.execute({ conversationId, limit })
        : statements.recentMessagesBefore.execute({ conversationId, before, limit });
    },

    async listRecentMessageSizes(conversationId: string, page: RecentMessagesPage): Promise<MessageSize[]> {
      const { beforeSequence: before, fromSequence: from, limit } = page;
      if (from !== undefined)
        return statements.recentMessageSizesFrom.execute({ conversationId, from, limit });
      return before === undefined
        ? statements.recentMessageSizes.execute({ conversationId, limit })
        : statements.recentMessageSizesBefore.execute({ conversationId, before, limit });
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
