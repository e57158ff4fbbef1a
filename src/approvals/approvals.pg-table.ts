import { sql } from 'drizzle-orm';
import { bigint, index, pgTable, text } from 'drizzle-orm/pg-core';
import { exactJson } from '../db/postgres-json.js';
import { conversationsTable, messagesTable, toolCallsTable } from '../transcripts/transcripts.pg-tables.js';
import { usersTable } from '../users/users.pg-table.js';

/** The PostgreSQL twin of approvals.table.ts (the meaning of each column is documented there). */
export const approvalsTable = pgTable(
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
    toolCallId: text('tool_call_id')
      .notNull()
      .references(() => toolCallsTable.id, { onDelete: 'cascade' }),
    modelToolCallId: text('model_tool_call_id').notNull(),
    safeName: text('safe_name').notNull(),
    name: text('name').notNull(),
    server: text('server').notNull(),
    arguments: exactJson<Record<string, unknown>>('arguments').notNull(),
    preview: text('preview').notNull(),
    previewBasis: text('preview_basis'),
    status: text('status', { enum: ['pending', 'approved', 'denied'] }).notNull(),
    reason: text('reason'),
    decidedAt: bigint('decided_at', { mode: 'number' }),
    expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (table) => [
    index('approvals_message_idx').on(table.messageId),
    index('approvals_tool_call_idx').on(table.toolCallId),
    index('approvals_pending_idx')
      .on(table.conversationId, table.createdAt, table.id)
      .where(sql`${table.status} = 'pending'`),
  ],
);
