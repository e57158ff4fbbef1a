import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { exactJson } from '../db/postgres-json.js';
import { usersTable } from '../users/users.pg-table.js';

/** The PostgreSQL twins of transcripts.tables.ts (the meaning of each column is documented there). */
export const conversationsTable = pgTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => usersTable.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  },
  (table) => [index('conversations_user_updated_idx').on(table.userId, table.updatedAt, table.id)],
);

export const messagesTable = pgTable(
  'messages',
  {
    id: text('id').primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversationsTable.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['user', 'assistant'] }).notNull(),
    text: text('text').notNull(),
    status: text('status', {
      enum: ['streaming', 'awaiting_approval', 'complete', 'aborted', 'error'],
    }).notNull(),
    modelMessages: exactJson<unknown[]>('model_messages'),
    error: text('error'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    sequence: integer('sequence').notNull(),
    instanceId: text('instance_id'),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    totalTokens: integer('total_tokens').notNull().default(0),
    modelRequests: integer('model_requests').notNull().default(0),
  },
  (table) => [
    uniqueIndex('messages_conversation_sequence_idx').on(table.conversationId, table.sequence),
    index('messages_streaming_idx')
      .on(table.conversationId, table.instanceId)
      .where(sql`${table.status} = 'streaming'`),
  ],
);

export const toolCallsTable = pgTable(
  'tool_calls',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => usersTable.id, { onDelete: 'cascade' }),
    /**
     * No foreign key: a chat call goes with its message (message_id), and a call with no message (a
     * revert of a chat call) is deleted with its conversation by deleteConversation. A key would need
     * a full index on the column, and a turn deep in a conversation wrote that index's page at the
     * conversation's place on every tool call (issue 12's turn depth: about a page a deep turn).
     */
    conversationId: text('conversation_id'),
    messageId: text('message_id').references(() => messagesTable.id, { onDelete: 'cascade' }),
    step: integer('step'),
    safeName: text('safe_name'),
    name: text('name').notNull(),
    server: text('server').notNull(),
    arguments: exactJson<unknown>('arguments'),
    result: exactJson<unknown>('result'),
    isError: boolean('is_error').notNull(),
    status: text('status', {
      enum: ['awaiting_approval', 'denied', 'running', 'ok', 'error', 'timeout', 'aborted'],
    }).notNull(),
    source: text('source', { enum: ['chat', 'direct', 'revert'] }).notNull(),
    startedAt: bigint('started_at', { mode: 'number' }).notNull(),
    durationMs: integer('duration_ms'),
    changesData: boolean('changes_data').notNull().default(false),
    snapshot: text('snapshot'),
    snapshotAt: bigint('snapshot_at', { mode: 'number' }),
    revertOf: text('revert_of'),
    instanceId: text('instance_id'),
  },
  (table) => [
    index('tool_calls_user_started_idx').on(table.userId, table.startedAt, table.id),
    index('tool_calls_unattached_conversation_idx')
      .on(table.conversationId)
      .where(sql`${table.messageId} is null`),
    index('tool_calls_message_idx').on(table.messageId),
    index('tool_calls_running_idx').on(table.instanceId).where(sql`${table.status} = 'running'`),
  ],
);
