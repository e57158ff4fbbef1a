import { and, type Column, eq, isNull, lt, or, type SQL, sql, type Table } from 'drizzle-orm';
import type { Position } from '../shared/cursor.js';
import type { ToolCallFilters } from './tool-calls.repository.js';

/*
 * Where-clauses of the transcript lists, written once over columns of either dialect's tables: the
 * SQLite and PostgreSQL repositories must filter and page alike.
 */

/** Rows strictly after the position `before` in a list ordered newest first by (`at` desc, `id` desc). */
export function olderThan(at: Column, id: Column, before: Position): SQL {
  return or(lt(at, before.at), and(eq(at, before.at), lt(id, before.id))) as SQL;
}

/** The messages table (either dialect's), which a conversation's tool calls are found through. */
type ConversationMessages = Table & Record<'id' | 'conversationId', Column>;

/**
 * The user's tool calls that match every filter given. A conversation's calls are its messages' (through
 * tool_calls_message_idx) and those with no message that name it (reverts, through the partial
 * tool_calls_unattached_conversation_idx): no index holds every call's conversation (transcripts.tables.ts).
 */
export function toolCallListWhere(
  table: Record<
    | 'userId'
    | 'conversationId'
    | 'messageId'
    | 'name'
    | 'status'
    | 'source'
    | 'changesData'
    | 'startedAt'
    | 'id',
    Column
  >,
  filters: ToolCallFilters,
  messages: ConversationMessages,
): SQL | undefined {
  const conditions: SQL[] = [eq(table.userId, filters.userId)];
  if (filters.conversationId)
    conditions.push(
      or(
        unattachedCallsOf(table, filters.userId, filters.conversationId),
        sql`${table.messageId} in (select ${messages.id} from ${messages} where ${eq(messages.conversationId, filters.conversationId)})`,
      ) as SQL,
    );
  if (filters.name) conditions.push(eq(table.name, filters.name));
  if (filters.status) conditions.push(eq(table.status, filters.status));
  if (filters.source) conditions.push(eq(table.source, filters.source));
  if (filters.writes !== undefined) conditions.push(eq(table.changesData, filters.writes));
  if (filters.before)
    conditions.push(
      olderThan(table.startedAt, table.id, { at: filters.before.startedAt, id: filters.before.id }),
    );
  return and(...conditions);
}

/**
 * A conversation's tool calls that no message holds (reverts of its calls), of one user: what deleting the
 * conversation deletes besides its messages, whose calls go with them (no foreign key holds the rest:
 * transcripts.tables.ts). Through the partial index tool_calls_unattached_conversation_idx.
 */
export function unattachedCallsOf(
  table: Record<'userId' | 'conversationId' | 'messageId', Column>,
  userId: string,
  conversationId: string,
): SQL {
  return and(
    isNull(table.messageId),
    eq(table.conversationId, conversationId),
    eq(table.userId, userId),
  ) as SQL;
}
