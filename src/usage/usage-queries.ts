import { and, type Column, count, eq, gte, notInArray, type SQL, sum } from 'drizzle-orm';
import type { UsageTotals } from './usage.repository.js';

/*
 * What `GET /v1/usage` counts, written once over columns of either dialect's tables: the SQLite and
 * PostgreSQL repositories must count alike.
 */

/** A call that waited for approval and was never run (or was denied) used nothing. */
const NOT_RUN = ['awaiting_approval', 'denied'];

/** The turns' count and their summed model usage. */
export function turnUsageColumns(messages: Record<'modelRequests' | 'inputTokens' | 'outputTokens', Column>) {
  return {
    turns: count(),
    modelRequests: sum(messages.modelRequests),
    inputTokens: sum(messages.inputTokens),
    outputTokens: sum(messages.outputTokens),
  };
}

/** The user's turns (assistant messages, whatever their end) started at or after `since`. */
export function turnsOfUserSince(
  messages: Record<'role' | 'createdAt', Column>,
  conversations: Record<'userId', Column>,
  userId: string,
  since: number,
): SQL | undefined {
  return and(
    eq(conversations.userId, userId),
    eq(messages.role, 'assistant'),
    gte(messages.createdAt, since),
  );
}

/** The tool calls the user ran at or after `since` (chat, direct and revert). */
export function toolCallsRunSince(
  toolCalls: Record<'userId' | 'startedAt' | 'status', Column>,
  userId: string,
  since: number,
): SQL | undefined {
  return and(
    eq(toolCalls.userId, userId),
    gte(toolCalls.startedAt, since),
    notInArray(toolCalls.status, NOT_RUN),
  );
}

/**
 * SUM over no rows is NULL, and sums come back as strings (drizzle's `sum` on SQLite, bigint through
 * node-postgres): numbers here.
 */
export function usageTotals(
  turns:
    | { turns: number; modelRequests: string | null; inputTokens: string | null; outputTokens: string | null }
    | undefined,
  toolCalls: { toolCalls: number } | undefined,
): UsageTotals {
  return {
    turns: turns?.turns ?? 0,
    modelRequests: Number(turns?.modelRequests ?? 0),
    inputTokens: Number(turns?.inputTokens ?? 0),
    outputTokens: Number(turns?.outputTokens ?? 0),
    toolCalls: toolCalls?.toolCalls ?? 0,
  };
}
