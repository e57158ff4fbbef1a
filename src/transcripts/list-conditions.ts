import { and, type Column, eq, lt, or, type SQL } from 'drizzle-orm';
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

/** The user's tool calls that match every filter given. */
export function toolCallListWhere(
  table: Record<
    'userId' | 'conversationId' | 'name' | 'status' | 'source' | 'changesData' | 'startedAt' | 'id',
    Column
  >,
  filters: ToolCallFilters,
): SQL | undefined {
  const conditions: SQL[] = [eq(table.userId, filters.userId)];
  if (filters.conversationId) conditions.push(eq(table.conversationId, filters.conversationId));
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
