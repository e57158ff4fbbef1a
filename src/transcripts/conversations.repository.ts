import { and, asc, count, desc, eq, gte, isNull, lt, max, type SQL, sql } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { withDatabaseErrors } from '../db/database-errors.js';
import {
  type InstanceIdentity,
  ownedByDeadInstance,
  ownedByLiveInstance,
  READ_ONLY_INSTANCE,
} from '../instances/instance-liveness.js';
import { errors } from '../shared/errors.js';
import type { TurnUsage } from '../usage/turn-usage.js';
import { olderThan } from './list-conditions.js';
import { conversationsTable, messagesTable } from './transcripts.tables.js';

export type ConversationRow = typeof conversationsTable.$inferSelect;
export type MessageRow = typeof messagesTable.$inferSelect;

/** How long a user over the in-flight limit is told to wait: turns usually finish within seconds. */
const TURN_LIMIT_RETRY_AFTER_SECONDS = 5;

/** Moves a conversation to the top of its user's list (newest `updatedAt` first). */
function bumpConversation(database: Pick<AppDatabase, 'update'>, conversationId: string, now: number): void {
  database
    .update(conversationsTable)
    .set({ updatedAt: now })
    .where(eq(conversationsTable.id, conversationId))
    .run();
}

/**
 * Conversations and their messages. Every read is scoped by user: another user's rows do not exist.
 * `instance` is the process that owns the turns it starts; `turnsInFlightPerUser` caps a user's turns
 * running at once across every instance on this database.
 */
/**
 * `status = 'streaming'` as a literal, not a bound parameter: it matches the partial index
 * messages_streaming_idx, which SQLite can use with a parameter only by re-preparing every run.
 */
const isStreaming = sql`${messagesTable.status} = 'streaming'`;

const keepAborted = (status: MessageRow['status']) =>
  sql<MessageRow['status']>`case when ${messagesTable.status} = 'aborted' then 'aborted' else ${status} end`;

export function createConversationsRepository({
  db,
  instance = READ_ONLY_INSTANCE,
  turnsInFlightPerUser = Number.POSITIVE_INFINITY,
}: {
  db: AppDatabase;
  instance?: InstanceIdentity;
  turnsInFlightPerUser?: number;
}) {
  /** Assistant messages still being produced by a live instance: turns in flight. */
  const inFlight = (now: number) =>
    and(
      eq(messagesTable.role, 'assistant'),
      isStreaming,
      ownedByLiveInstance(messagesTable.instanceId, instance, now),
    );

  const abortStreamingWhere = (condition: SQL | undefined) =>
    db.update(messagesTable).set({ status: 'aborted' }).where(and(isStreaming, condition)).run().changes;

  return withDatabaseErrors({
    async findConversation(userId: string, id: string): Promise<ConversationRow | undefined> {
      return db
        .select()
        .from(conversationsTable)
        .where(and(eq(conversationsTable.id, id), eq(conversationsTable.userId, userId)))
        .get();
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
        .limit(options.limit)
        .all();
    },

    /** Oldest first: what an export of everything since a date wants. */
    async listConversationsSince(userId: string, since: number): Promise<ConversationRow[]> {
      return db
        .select()
        .from(conversationsTable)
        .where(and(eq(conversationsTable.userId, userId), gte(conversationsTable.updatedAt, since)))
        .orderBy(asc(conversationsTable.createdAt), asc(conversationsTable.id))
        .all();
    },

    async deleteConversation(userId: string, id: string): Promise<boolean> {
      return (
        db
          .delete(conversationsTable)
          .where(and(eq(conversationsTable.id, id), eq(conversationsTable.userId, userId)))
          .run().changes > 0
      );
    },

    /**
     * Stores the start of a chat turn in one transaction: the conversation when it is new, the user's
     * message and the (empty, `streaming`) assistant message, in order at the end of the conversation.
     * Refuses (`conversation_busy`) while another turn of the conversation runs on a live instance, and
     * (`rate_limited`) when the user already has the most turns in flight. The transaction takes the write
     * lock up front: a deferred one that reads and then writes fails at once with SQLITE_BUSY when another
     * process writes meanwhile, instead of waiting out the busy timeout.
     */
    async beginTurn(options: {
      newConversation?: ConversationRow;
      conversationId: string;
      messages: Array<Omit<MessageRow, 'sequence' | 'conversationId' | 'instanceId' | keyof TurnUsage>>;
      now: number;
    }): Promise<void> {
      db.transaction(
        (transaction) => {
          const busy = transaction
            .select({ id: messagesTable.id })
            .from(messagesTable)
            .where(and(eq(messagesTable.conversationId, options.conversationId), inFlight(options.now)))
            .get();
          if (busy) throw errors.conversationBusy();
          const userId =
            options.newConversation?.userId ??
            transaction
              .select({ userId: conversationsTable.userId })
              .from(conversationsTable)
              .where(eq(conversationsTable.id, options.conversationId))
              .get()?.userId;
          const running = transaction
            .select({ turns: count() })
            .from(messagesTable)
            .innerJoin(conversationsTable, eq(messagesTable.conversationId, conversationsTable.id))
            .where(and(eq(conversationsTable.userId, userId ?? ''), inFlight(options.now)))
            .get();
          if ((running?.turns ?? 0) >= turnsInFlightPerUser)
            throw errors.rateLimited(
              `At most ${turnsInFlightPerUser} chat turns may run at once; wait for one to finish.`,
              TURN_LIMIT_RETRY_AFTER_SECONDS,
            );
          if (options.newConversation)
            transaction.insert(conversationsTable).values(options.newConversation).run();
          const last = transaction
            .select({ sequence: max(messagesTable.sequence) })
            .from(messagesTable)
            .where(eq(messagesTable.conversationId, options.conversationId))
            .get();
          let sequence = last?.sequence ?? 0;
          for (const message of options.messages) {
            sequence += 1;
            transaction
              .insert(messagesTable)
              .values({
                ...message,
                conversationId: options.conversationId,
                sequence,
                instanceId: instance.id,
              })
              .run();
          }
          bumpConversation(transaction, options.conversationId, options.now);
        },
        { behavior: 'immediate' },
      );
    },

    /** Updates a message as its turn progresses (after each model step). */
    async updateMessage(
      id: string,
      changes: Partial<Pick<MessageRow, 'text' | 'status' | 'modelMessages' | 'error'>>,
    ): Promise<void> {
      db.update(messagesTable).set(changes).where(eq(messagesTable.id, id)).run();
    },

    /**
     * Stores how a turn ended and bumps its conversation to the top of the list, in one transaction.
     * `usage` is added to what the message has: a paused turn's continuation adds its own steps.
     */
    async endTurn(options: {
      conversationId: string;
      messageId: string;
      changes: Partial<Pick<MessageRow, 'text' | 'status' | 'error' | 'modelMessages'>>;
      usage?: TurnUsage;
      now: number;
    }): Promise<void> {
      db.transaction(
        (transaction) => {
          const { status, ...changes } = options.changes;
          const { usage } = options;
          transaction
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
            .where(eq(messagesTable.id, options.messageId))
            .run();
          bumpConversation(transaction, options.conversationId, options.now);
        },
        { behavior: 'immediate' },
      );
    },

    /**
     * Takes a paused turn (`awaiting_approval`) back to `streaming` in one UPDATE: of two instances
     * continuing it at once, one gets the message, the other undefined.
     */
    async claimPausedTurn(messageId: string): Promise<MessageRow | undefined> {
      return (
        db
          .update(messagesTable)
          // The claiming instance owns the continued turn (its liveness guards it, as for beginTurn).
          .set({ status: 'streaming', instanceId: instance.id })
          .where(and(eq(messagesTable.id, messageId), eq(messagesTable.status, 'awaiting_approval')))
          .returning()
          .get()
      );
    },

    async listMessages(conversationId: string): Promise<MessageRow[]> {
      return db
        .select()
        .from(messagesTable)
        .where(eq(messagesTable.conversationId, conversationId))
        .orderBy(asc(messagesTable.sequence))
        .all();
    },

    /**
     * Closes as aborted the turns still `streaming` that started before `before` and record no instance
     * (written before instances were recorded): only their age can tell they were abandoned.
     */
    async abortStreamingStartedBefore(before: number): Promise<number> {
      return abortStreamingWhere(and(isNull(messagesTable.instanceId), lt(messagesTable.createdAt, before)));
    },

    /** Closes as aborted the turns still `streaming` whose instance is dead (its heartbeat stopped). */
    async abortStreamingOfDeadInstances(now: number): Promise<number> {
      return abortStreamingWhere(ownedByDeadInstance(messagesTable.instanceId, instance, now));
    },

    /** Shutdown: this instance's turns still `streaming` end `aborted` rather than wait for a sweep. */
    async abortStreamingOfThisInstance(): Promise<number> {
      return abortStreamingWhere(eq(messagesTable.instanceId, instance.id));
    },
  });
}

export type ConversationsRepository = ReturnType<typeof createConversationsRepository>;
