import { and, count, eq, gte, notInArray, sum } from 'drizzle-orm';
import { withDatabaseErrors } from '../db/database-errors.js';
import type { PostgresDatabase } from '../db/postgres-database.js';
import { conversationsTable, messagesTable, toolCallsTable } from '../transcripts/transcripts.pg-tables.js';
import type { UsageRepository, UsageTotals } from './usage.repository.js';

/** A call that waited for approval and was never run (or was denied) used nothing. */
const NOT_RUN = ['awaiting_approval', 'denied'] as const;

/**
 * The PostgreSQL implementation of usage.repository.ts (same method, same meaning). Two reads, no
 * transaction: the totals are a report, and each sum is consistent on its own.
 */
export function createPostgresUsageRepository({ db }: { db: PostgresDatabase }): UsageRepository {
  return withDatabaseErrors({
    async totalsSince(userId: string, since: number): Promise<UsageTotals> {
      const [turns] = await db
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
        );
      const [toolCalls] = await db
        .select({ toolCalls: count() })
        .from(toolCallsTable)
        .where(
          and(
            eq(toolCallsTable.userId, userId),
            gte(toolCallsTable.startedAt, since),
            notInArray(toolCallsTable.status, [...NOT_RUN]),
          ),
        );
      // SUM of integers is a PostgreSQL bigint, which node-postgres answers as a string; NULL over no rows.
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
