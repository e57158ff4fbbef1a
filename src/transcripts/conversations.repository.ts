import { and, asc, desc, eq, gte, isNull, lt, notInArray, type SQL } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { withDatabaseErrors } from '../db/database-errors.js';
import { createGroupCommit, type GroupCommit } from '../db/group-commit.js';
import {
  type InstanceIdentity,
  ownedByDeadInstance,
  READ_ONLY_INSTANCE,
} from '../instances/instance-liveness.js';
import { errors } from '../shared/errors.js';
import { noUsage, type TurnUsage } from '../usage/turn-usage.js';
import { olderThan, unattachedCallsOf } from './list-conditions.js';
import { storableChanges, storableText } from './message-text.js';
import { conversationsTable, messagesTable, toolCallsTable } from './transcripts.tables.js';
import { isStreaming, prepareTurnStatements } from './turn-statements.sqlite.js';

export type ConversationRow = typeof conversationsTable.$inferSelect;
export type MessageRow = typeof messagesTable.$inferSelect;
/** What a turn's history reads of a message (message-sizes.ts): its place, status and content. */
export type ReplayedMessage = Pick<
  MessageRow,
  'id' | 'role' | 'status' | 'sequence' | 'text' | 'modelMessages'
>;
/**
 * A message in one of these states is never written again (a streaming, paused or aborted one may still
 * have steps appended: a late end of an aborted turn).
 */
export const FINISHED_STATUSES = ['complete', 'error'] as const satisfies MessageRow['status'][];
export type MessageSize = Pick<MessageRow, 'id' | 'role' | 'status' | 'sequence'> & {
  textChars: number;
  modelMessagesChars: number;
};

/**
 * A page of a conversation's newest messages: before a place (older pages), or from one on (what came
 * since a place already read); neither is the newest messages.
 */
export type RecentMessagesPage =
  | { limit: number; beforeSequence?: number; fromSequence?: undefined }
  | { limit: number; fromSequence: number; beforeSequence?: undefined };

export interface BeginTurn {
  /** The conversation's owner, whose turns the in-flight cap counts; looked up when left out. */
  userId?: string;
  newConversation?: ConversationRow;
  conversationId: string;
  messages: Array<Omit<MessageRow, 'sequence' | 'conversationId' | 'instanceId' | keyof TurnUsage>>;
  now: number;
}

export interface EndTurn {
  conversationId: string;
  messageId: string;
  changes: Partial<Pick<MessageRow, 'text' | 'status' | 'error'>>;
  /** Model messages not stored yet (the last step's), appended to the stored ones. */
  appendModelMessages?: unknown[];
  usage?: TurnUsage;
  now: number;
}

/** How long a user over the in-flight limit is told to wait: turns usually finish within seconds. */
const TURN_LIMIT_RETRY_AFTER_SECONDS = 5;

/**
 * Conversations and their messages. Every read is scoped by user: another user's rows do not exist.
 * `instance` is the process that owns the turns it starts; `turnsInFlightPerUser` caps a user's turns
 * running at once across every instance on this database. The turn's writes go through `groupCommit`
 * (shared by the repositories on one connection, see db/group-commit.ts).
 */
export function createConversationsRepository({
  db,
  instance = READ_ONLY_INSTANCE,
  turnsInFlightPerUser = Number.POSITIVE_INFINITY,
  groupCommit = createGroupCommit(db.$client),
}: {
  db: AppDatabase;
  instance?: InstanceIdentity;
  turnsInFlightPerUser?: number;
  groupCommit?: GroupCommit;
}) {
  const statements = prepareTurnStatements(db, instance);
  const beginTurnTransaction = db.$client.transaction((options: BeginTurn) => {
    const { now, conversationId } = options;
    if (statements.busy.get({ conversationId, now, instanceId: instance.id }))
      throw errors.conversationBusy();
    const userId =
      options.userId ??
      options.newConversation?.userId ??
      statements.conversationOwner.get({ conversationId })?.userId;
    const running = statements.turnsInFlightOfUser.get({ userId: userId ?? '', now });
    if ((running?.turns ?? 0) >= turnsInFlightPerUser)
      throw errors.rateLimited(
        `At most ${turnsInFlightPerUser} chat turns may run at once; wait for one to finish.`,
        TURN_LIMIT_RETRY_AFTER_SECONDS,
      );
    if (options.newConversation) statements.insertConversation.run(options.newConversation);
    for (const message of options.messages) statements.insertMessage.run({ ...message, conversationId });
    // A new conversation is inserted stamped already (as on PostgreSQL): only an existing one is bumped.
    if (!options.newConversation) statements.bumpConversation.run({ conversationId, now });
  });
  const endTurnTransaction = db.$client.transaction((options: EndTurn) => {
    const { text, status, error } = options.changes;
    const usage = options.usage ?? noUsage();
    statements.endTurn.run({
      messageId: options.messageId,
      text: text ?? null,
      status: status ?? null,
      setError: error === undefined ? 0 : 1,
      error: error ?? null,
      added: JSON.stringify(options.appendModelMessages ?? []),
      ...usage,
    });
    statements.bumpConversation.run({ conversationId: options.conversationId, now: options.now });
  });

  const abortStreamingWhere = (condition: SQL | undefined) =>
    db.update(messagesTable).set({ status: 'aborted' }).where(and(isStreaming, condition)).run().changes;

  return withDatabaseErrors({
    async findConversation(userId: string, id: string): Promise<ConversationRow | undefined> {
      return statements.findConversation.get({ id, userId });
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

    /** The conversation, its messages and their tool calls, and the calls with no message that name it. */
    async deleteConversation(userId: string, id: string): Promise<boolean> {
      return db.transaction(
        (transaction) => {
          // Only the user's own calls: nothing of another user's goes, whoever's the conversation is.
          transaction
            .delete(toolCallsTable)
            .where(unattachedCallsOf(toolCallsTable, userId, id))
            .run();
          return (
            transaction
              .delete(conversationsTable)
              .where(and(eq(conversationsTable.id, id), eq(conversationsTable.userId, userId)))
              .run().changes > 0
          );
        },
        { behavior: 'immediate' },
      );
    },

    /**
     * Stores the start of a chat turn in one transaction: the conversation when it is new, the user's
     * message and the (empty, `streaming`) assistant message, in order at the end of the conversation.
     * Refuses (`conversation_busy`) while another turn of the conversation runs on a live instance, and
     * (`rate_limited`) when the user already has the most turns in flight. The group commit takes the
     * write lock up front: a deferred transaction that reads and then writes fails at once with SQLITE_BUSY
     * when another process writes meanwhile, instead of waiting out the busy timeout.
     */
    async beginTurn(options: BeginTurn): Promise<void> {
      await groupCommit.run(() => beginTurnTransaction(options));
    },

    /**
     * Marks as failed a turn whose end could not be stored, unless it is finished after all (the end's
     * commit went through, its answer did not): a finished message is never written again, which is what
     * lets the history cache keep it (agent/history-cache.ts). Whether it was marked.
     */
    async failUnfinishedTurn(id: string, error: string): Promise<boolean> {
      const result = db
        .update(messagesTable)
        .set({ status: 'error', error: storableText(error) })
        .where(and(eq(messagesTable.id, id), notInArray(messagesTable.status, FINISHED_STATUSES)))
        .run();
      return result.changes > 0;
    },

    /**
     * Stores a finished step of a running turn: the turn's text so far, and the step's new model messages
     * appended to those already stored (nothing stored is read back or written again).
     */
    async appendStep(id: string, step: { text: string; modelMessages: unknown[] }): Promise<void> {
      const added = JSON.stringify(step.modelMessages);
      const text = storableText(step.text);
      await groupCommit.run(() => statements.appendStep.run({ id, text, added }));
    },

    /**
     * Stores how a turn ended and bumps its conversation to the top of the list, in one transaction.
     * `appendModelMessages` (the last step's, not yet stored) are added to the stored ones; `usage` is
     * added to what the message has: a paused turn's continuation adds its own steps.
     */
    async endTurn(options: EndTurn): Promise<void> {
      const changes = storableChanges(options.changes);
      await groupCommit.run(() => endTurnTransaction({ ...options, changes }));
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
     * At most `limit` messages of a conversation, newest first, before `beforeSequence` (all when omitted),
     * as much of each as a replay reads: a turn reads its history back only as far as the context budget
     * reaches (agent/history-loader.ts).
     */
    async listRecentMessages(
      conversationId: string,
      page: { beforeSequence?: number; limit: number },
    ): Promise<ReplayedMessage[]> {
      return statements.recentMessages.all({
        conversationId,
        before: page.beforeSequence ?? Number.MAX_SAFE_INTEGER,
        limit: page.limit,
      });
    },

    /**
     * Like `listRecentMessages`, each message's place and sizes only (message-sizes.ts): how far back the
     * history must be read is decided without reading the messages themselves.
     */
    async listRecentMessageSizes(conversationId: string, page: RecentMessagesPage): Promise<MessageSize[]> {
      return statements.recentMessageSizes.all({
        conversationId,
        before: page.beforeSequence ?? Number.MAX_SAFE_INTEGER,
        from: page.fromSequence ?? Number.MIN_SAFE_INTEGER,
        limit: page.limit,
      });
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
