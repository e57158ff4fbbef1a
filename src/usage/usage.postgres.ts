import { count, eq } from 'drizzle-orm';
import { withDatabaseErrors } from '../db/database-errors.js';
import type { PostgresDatabase } from '../db/postgres-database.js';
import { conversationsTable, messagesTable, toolCallsTable } from '../transcripts/transcripts.pg-tables.js';
import type { UsageRepository, UsageTotals } from './usage.repository.js';
import { toolCallsRunSince, turnsOfUserSince, turnUsageColumns, usageTotals } from './usage-queries.js';

/**
 * The PostgreSQL implementation of usage.repository.ts (same method, same meaning). Two reads, no
 * transaction: the totals are a report, and each sum is consistent on its own.
 */
export function createPostgresUsageRepository({ db }: { db: PostgresDatabase }): UsageRepository {
  return withDatabaseErrors({
    async totalsSince(userId: string, since: number): Promise<UsageTotals> {
      const [turns] = await db
        .select(turnUsageColumns(messagesTable))
        .from(messagesTable)
        .innerJoin(conversationsTable, eq(messagesTable.conversationId, conversationsTable.id))
        .where(turnsOfUserSince(messagesTable, conversationsTable, userId, since));
      const [toolCalls] = await db
        .select({ toolCalls: count() })
        .from(toolCallsTable)
        .where(toolCallsRunSince(toolCallsTable, userId, since));
      return usageTotals(turns, toolCalls);
    },
  });
}
