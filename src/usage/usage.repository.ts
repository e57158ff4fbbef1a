import { and, count, eq, gte, notInArray, sum } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { withDatabaseErrors } from '../db/database-errors.js';
import { conversationsTable, messagesTable, toolCallsTable } from '../transcripts/transcripts.tables.js';

export interface UsageTotals {
  turns: number;
  modelRequests: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
}

/** A call that waited for approval and was never run (or was denied) used nothing. */
const NOT_RUN = ['awaiting_approval', 'denied'] as const;

/** Usage totals, always of one user: another user's rows are never summed. */
export function createUsageRepository({ db }: { db: AppDatabase }) {
  return withDatabaseErrors({
    /**
     * Turns (assistant messages, whatever their end) started at or after `since`, their model usage, and
     * the tool calls the user ran since then (chat, direct and revert). Deleted conversations no longer
     * count: their messages and calls are deleted with them.
     */
    async totalsSince(userId: string, since: number): Promise<UsageTotals> {
      const turns = db
        .select({
          turns: count(),
          modelRequests: sum(messagesTable.modelRequests),
          inputTokens: sum(messagesTable.inputTokens),
          outputTokens: sum(messagesTable.outputTokens),
        })
        .from(messagesTable)
        .innerJoin(conversationsTable, eq(messagesTable.conversationId, conversationsTable.id))
        .where(
          and(
            eq(conversationsTable.userId, userId),
            eq(messagesTable.role, 'assistant'),
            gte(messagesTable.createdAt, since),
          ),
        )
        .get();
      const toolCalls = db
        .select({ toolCalls: count() })
        .from(toolCallsTable)
        .where(
          and(
            eq(toolCallsTable.userId, userId),
            gte(toolCallsTable.startedAt, since),
            notInArray(toolCallsTable.status, [...NOT_RUN]),
          ),
        )
        .get();
      // SUM over no rows is NULL, and drizzle's `sum` answers strings (bigint-safe): numbers here.
      return {
        turns: turns?.turns ?? 0,
        modelRequests: Number(turns?.modelRequests ?? 0),
        inputTokens: Number(turns?.inputTokens ?? 0),
        outputTokens: Number(turns?.outputTokens ?? 0),
        toolCalls: toolCalls?.toolCalls ?? 0,
      };
    },
  });
}

export type UsageRepository = ReturnType<typeof createUsageRepository>;
