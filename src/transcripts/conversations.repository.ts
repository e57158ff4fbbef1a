import { and, asc, desc, eq, gte, lt, max, or, type SQL } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { conversationsTable, messagesTable } from './transcripts.tables.js';

export type ConversationRow = typeof conversationsTable.$inferSelect;
export type MessageRow = typeof messagesTable.$inferSelect;

/** Conversations and their messages. Every read is scoped by user: another user's rows do not exist. */
export function createConversationsRepository({ db }: { db: AppDatabase }) {
  return {
    insertConversation(row: ConversationRow): void {
      db.insert(conversationsTable).values(row).run();
    },

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

    touchConversation(id: string, updatedAt: number): void {
      db.update(conversationsTable).set({ updatedAt }).where(eq(conversationsTable.id, id)).run();
    },

    deleteConversation(userId: string, id: string): boolean {
      return (
        db
          .delete(conversationsTable)
          .where(and(eq(conversationsTable.id, id), eq(conversationsTable.userId, userId)))
          .run().changes > 0
      );
    },

    /** Appends a message at the end of its conversation (sequence numbers keep the order exact). */
    appendMessage(row: Omit<MessageRow, 'sequence'>): MessageRow {
      return db.transaction((transaction) => {
        const last = transaction
          .select({ sequence: max(messagesTable.sequence) })
          .from(messagesTable)
          .where(eq(messagesTable.conversationId, row.conversationId))
          .get();
        const message = { ...row, sequence: (last?.sequence ?? 0) + 1 };
        transaction.insert(messagesTable).values(message).run();
        return message;
      });
    },

    updateMessage(
      id: string,
      changes: Partial<Pick<MessageRow, 'text' | 'status' | 'modelMessages' | 'error'>>,
    ): void {
      db.update(messagesTable).set(changes).where(eq(messagesTable.id, id)).run();
    },

    listMessages(conversationId: string): MessageRow[] {
      return db
        .select()
        .from(messagesTable)
        .where(eq(messagesTable.conversationId, conversationId))
        .orderBy(asc(messagesTable.sequence))
        .all();
    },

    /** Turns left `streaming` by a crash are closed as aborted at start-up. */
    abortStreaming(): number {
      return db
        .update(messagesTable)
        .set({ status: 'aborted' })
        .where(eq(messagesTable.status, 'streaming'))
        .run().changes;
    },
  };
}

export type ConversationsRepository = ReturnType<typeof createConversationsRepository>;
