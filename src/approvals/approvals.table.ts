import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { conversationsTable, messagesTable, toolCallsTable } from '../transcripts/transcripts.tables.js';
import { usersTable } from '../users/users.table.js';

/**
 * One write call waiting for (or answered by) its conversation's owner. Its id is the AI SDK's
 * `approvalId`, so `useChat`'s tool-approval-request parts and JSON clients name the same approval. The
 * paused turn itself lives in the assistant message's stored model messages: nothing is in memory, so
 * any instance can continue it.
 */
export const approvalsTable = sqliteTable(
  'approvals',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => usersTable.id, { onDelete: 'cascade' }),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversationsTable.id, { onDelete: 'cascade' }),
    messageId: text('message_id')
      .notNull()
      .references(() => messagesTable.id, { onDelete: 'cascade' }),
    /** Our transcript row (status `awaiting_approval` until answered). */
    toolCallId: text('tool_call_id')
      .notNull()
      .references(() => toolCallsTable.id, { onDelete: 'cascade' }),
    /** The model's tool call id, as in the stored model messages. */
    modelToolCallId: text('model_tool_call_id').notNull(),
    /** The provider-safe tool name the model used. */
    safeName: text('safe_name').notNull(),
    name: text('name').notNull(),
    server: text('server').notNull(),
    /** Exactly what was shown; the approved call runs with these arguments or not at all. */
    arguments: text('arguments', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** The preview shown (a diff of the user's document), sealed like the snapshots. */
    preview: text('preview').notNull(),
    /** Fingerprint of the data the preview was computed from (see previews.ts). */
    previewBasis: text('preview_basis'),
    status: text('status', { enum: ['pending', 'approved', 'denied'] }).notNull(),
    reason: text('reason'),
    decidedAt: integer('decided_at'),
    expiresAt: integer('expires_at').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (table) => [
    index('approvals_message_idx').on(table.messageId),
    index('approvals_tool_call_idx').on(table.toolCallId),
    // Partial: only the approvals still waiting. Every chat message in an existing conversation asks for
    // its pending ones (a new message supersedes a paused turn), and without this index that was a scan
    // of every approval ever made. Queries must spell the status as a literal (`isPending` in approvals.repository.ts).
    index('approvals_pending_idx')
      .on(table.conversationId, table.createdAt, table.id)
      .where(sql`${table.status} = 'pending'`),
  ],
);
