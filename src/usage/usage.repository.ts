import { count, eq } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { withDatabaseErrors } from '../db/database-errors.js';
import { conversationsTable, messagesTable, toolCallsTable } from '../transcripts/transcripts.tables.js';
import { toolCallsRunSince, turnsOfUserSince, turnUsageColumns, usageTotals } from './usage-queries.js';

export interface UsageTotals {
  turns: number;
  modelRequests: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
}

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
        .select(turnUsageColumns(messagesTable))
        .from(messagesTable)
        .innerJoin(conversationsTable, eq(messagesTable.conversationId, conversationsTable.id))
        .where(turnsOfUserSince(messagesTable, conversationsTable, userId, since))
        .get();
      const toolCalls = db
        .select({ toolCalls: count() })
        .from(toolCallsTable)
        .where(toolCallsRunSince(toolCallsTable, userId, since))
        .get();
      return usageTotals(turns, toolCalls);
    },
  });
}

export type UsageRepository = ReturnType<typeof createUsageRepository>;
