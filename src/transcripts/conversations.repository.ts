import { and, asc, desc, eq, gte, lt, max, or, type SQL } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { conversationsTable, messagesTable } from './transcripts.tables.js';

export type ConversationRow = typeof conversationsTable.$inferSelect;
export type MessageRow = typeof messagesTable.$inferSelect;

/** Conversations and their messages. Every read is scoped by user: another user's rows do not exist. */
/** Moves a conversation to the top of its user's list (newest `updatedAt` first). */
function bumpConversation(database: Pick<AppDatabase, 'update'>, conversationId: string, now: number): void {
  database
    .update(conversationsTable)
    .set({ updatedAt: now })
    .where(eq(conversationsTable.id, conversationId))
    .run();
}

export function createConversationsRepository({ db }: { db: AppDatabase }) {
  return {
    findConversation(userId: string, id: string): ConversationRow | undefined {
      return db
        .select()
        .from(conversationsTable)
        .where(and(eq(conversationsTable.id, id), eq(conversationsTable.userId, userId)))
        .get();
    },

    listConversations(options: {
      userId: string;
      before?: { updatedAt: number; id: string };
      limit: number;
    }): ConversationRow[] {
      const conditions: SQL[] = [eq(conversationsTable.userId, options.userId)];
      if (options.before) {
        const { updatedAt, id } = options.before;
        conditions.push(
          or(
            lt(conversationsTable.updatedAt, updatedAt),
            and(eq(conversationsTable.updatedAt, updatedAt), lt(conversationsTable.id, id)),
          ) as SQL,
        );
      }
      return db
        .select()
        .from(conversationsTable)
        .where(and(...conditions))
        .orderBy(desc(conversationsTable.updatedAt), desc(conversationsTable.id))
        .limit(options.limit)
        .all();
    },

    /** Oldest first: what an export of everything since a date wants. */
    listConversationsSince(userId: string, since: number): ConversationRow[] {
      return db
        .select()
        .from(conversationsTable)
        .where(and(eq(conversationsTable.userId, userId), gte(conversationsTable.updatedAt, since)))
        .orderBy(asc(conversationsTable.createdAt), asc(conversationsTable.id))
        .all();
    },

    deleteConversation(userId: string, id: string): boolean {
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
     */
    beginTurn(options: {
      newConversation?: ConversationRow;
      conversationId: string;
      messages: Array<Omit<MessageRow, 'sequence' | 'conversationId'>>;
      now: number;
    }): void {
      db.transaction((transaction) => {
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
            .values({ ...message, conversationId: options.conversationId, sequence })
            .run();
        }
        bumpConversation(transaction, options.conversationId, options.now);
      });
    },

    /** Updates a message as its turn progresses (after each model step). */
    updateMessage(
      id: string,
      changes: Partial<Pick<MessageRow, 'text' | 'status' | 'modelMessages' | 'error'>>,
    ): void {
      db.update(messagesTable).set(changes).where(eq(messagesTable.id, id)).run();
    },

    /** Stores how a turn ended and bumps its conversation to the top of the list, in one transaction. */
    endTurn(options: {
      conversationId: string;
      messageId: string;
      changes: Partial<Pick<MessageRow, 'text' | 'status' | 'error' | 'modelMessages'>>;
      now: number;
    }): void {
      db.transaction((transaction) => {
        transaction
          .update(messagesTable)
          .set(options.changes)
          .where(eq(messagesTable.id, options.messageId))
          .run();
        bumpConversation(transaction, options.conversationId, options.now);
      });
    },

    /**
     * Takes a paused turn (`awaiting_approval`) back to `streaming` in one UPDATE: of two instances
     * continuing it at once, one gets the message, the other undefined.
     */
    claimPausedTurn(messageId: string): MessageRow | undefined {
      return db
        .update(messagesTable)
        .set({ status: 'streaming' })
        .where(and(eq(messagesTable.id, messageId), eq(messagesTable.status, 'awaiting_approval')))
        .returning()
        .get();
    },

    listMessages(conversationId: string): MessageRow[] {
      return db
        .select()
        .from(messagesTable)
        .where(eq(messagesTable.conversationId, conversationId))
        .orderBy(asc(messagesTable.sequence))
        .all();
    },

    /** Closes as aborted the turns still `streaming` that started before `before` (left by a crash). */
    abortStreamingStartedBefore(before: number): number {
      return db
        .update(messagesTable)
        .set({ status: 'aborted' })
        .where(and(eq(messagesTable.status, 'streaming'), lt(messagesTable.createdAt, before)))
        .run().changes;
    },
  };
}

export type ConversationsRepository = ReturnType<typeof createConversationsRepository>;
