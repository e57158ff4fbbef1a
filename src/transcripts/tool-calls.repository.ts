import { and, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { toolCallsTable } from './transcripts.tables.js';

export type ToolCallRow = typeof toolCallsTable.$inferSelect;
export type ToolCallStatus = ToolCallRow['status'];
export type ToolCallSource = ToolCallRow['source'];

export interface ToolCallFilters {
  userId: string;
  conversationId?: string;
  name?: string;
  status?: ToolCallStatus;
  source?: ToolCallSource;
  /** Rows strictly older than this (startedAt, id) position: cursor pagination, newest first. */
  before?: { startedAt: number; id: string };
  limit: number;
}

export function createToolCallsRepository({ db }: { db: AppDatabase }) {
  return {
    insert(row: typeof toolCallsTable.$inferInsert): void {
      db.insert(toolCallsTable).values(row).run();
    },

    finish(
      id: string,
      outcome: { result: unknown; isError: boolean; status: ToolCallStatus; durationMs: number },
    ): void {
      db.update(toolCallsTable).set(outcome).where(eq(toolCallsTable.id, id)).run();
    },

    list(filters: ToolCallFilters): ToolCallRow[] {
      const conditions: SQL[] = [eq(toolCallsTable.userId, filters.userId)];
      if (filters.conversationId) conditions.push(eq(toolCallsTable.conversationId, filters.conversationId));
      if (filters.name) conditions.push(eq(toolCallsTable.name, filters.name));
      if (filters.status) conditions.push(eq(toolCallsTable.status, filters.status));
      if (filters.source) conditions.push(eq(toolCallsTable.source, filters.source));
      if (filters.before) {
        const { startedAt, id } = filters.before;
        conditions.push(
          or(
            lt(toolCallsTable.startedAt, startedAt),
            and(eq(toolCallsTable.startedAt, startedAt), lt(toolCallsTable.id, id)),
          ) as SQL,
        );
      }
      return db
        .select()
        .from(toolCallsTable)
        .where(and(...conditions))
        .orderBy(desc(toolCallsTable.startedAt), desc(toolCallsTable.id))
        .limit(filters.limit)
        .all();
    },

    listForMessages(messageIds: string[]): ToolCallRow[] {
      if (messageIds.length === 0) return [];
      return db
        .select()
        .from(toolCallsTable)
        .where(inArray(toolCallsTable.messageId, messageIds))
        .orderBy(toolCallsTable.startedAt, toolCallsTable.id)
        .all();
    },

    /** Calls still marked running after a crash: closed as aborted at start-up. */
    abortRunning(now: number): number {
      return db
        .update(toolCallsTable)
        .set({ status: 'aborted', isError: true, durationMs: null })
        .where(and(eq(toolCallsTable.status, 'running'), lt(toolCallsTable.startedAt, now)))
        .run().changes;
    },
  };
}

export type ToolCallsRepository = ReturnType<typeof createToolCallsRepository>;
