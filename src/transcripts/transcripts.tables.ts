import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { usersTable } from '../users/users.table.js';

export const conversationsTable = sqliteTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => usersTable.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (table) => [index('conversations_user_updated_idx').on(table.userId, table.updatedAt, table.id)],
);

/**
 * A user or assistant message. An assistant message is one turn: `modelMessages` holds the AI SDK model
 * messages of its finished steps (tool calls and results included) so later turns can replay history.
 */
export const messagesTable = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversationsTable.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['user', 'assistant'] }).notNull(),
    text: text('text').notNull(),
    /** `awaiting_approval`: the turn paused on write calls the user must answer (src/approvals). */
    status: text('status', {
      enum: ['streaming', 'awaiting_approval', 'complete', 'aborted', 'error'],
    }).notNull(),
    modelMessages: text('model_messages', { mode: 'json' }).$type<unknown[]>(),
    error: text('error'),
    createdAt: integer('created_at').notNull(),
    sequence: integer('sequence').notNull(),
    /** The server process running this turn (instances table): who may still finish a `streaming` row. */
    instanceId: text('instance_id'),
    /**
     * Model usage of an assistant message's turn, summed over its steps (and over a paused turn's
     * continuations); 0 for user messages and turns stored before usage was recorded. Plain integer
     * columns, so totals are one SUM in any SQL dialect.
     */
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    totalTokens: integer('total_tokens').notNull().default(0),
    modelRequests: integer('model_requests').notNull().default(0),
  },
  // Unique: two turns that raced for one conversation can never both take the same place in it.
  (table) => [
    uniqueIndex('messages_conversation_sequence_idx').on(table.conversationId, table.sequence),
    // Partial: only the few `streaming` rows (turns in flight) are in it, so the busy check, the per-user
    // in-flight count and the sweeps read a tiny index however long the history grows. Queries must spell
    // the status as a literal (see streaming in conversations.repository.ts): with a bound parameter SQLite
    // can use a partial index only by re-preparing the statement on every run.
    index('messages_streaming_idx')
      .on(table.conversationId, table.instanceId)
      .where(sql`${table.status} = 'streaming'`),
  ],
);

export const toolCallsTable = sqliteTable(
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
    /** The provider-safe alias the model saw; `name` is the real WPS tool name. */
    safeName: text('safe_name'),
    name: text('name').notNull(),
    server: text('server').notNull(),
    arguments: text('arguments', { mode: 'json' }).$type<unknown>(),
    result: text('result', { mode: 'json' }).$type<unknown>(),
    isError: integer('is_error', { mode: 'boolean' }).notNull(),
    status: text('status', {
      enum: ['awaiting_approval', 'denied', 'running', 'ok', 'error', 'timeout', 'aborted'],
    }).notNull(),
    source: text('source', { enum: ['chat', 'direct', 'revert'] }).notNull(),
    startedAt: integer('started_at').notNull(),
    durationMs: integer('duration_ms'),
    /** The tool can change WPS data (see tool-classification.ts). */
    changesData: integer('changes_data', { mode: 'boolean' }).notNull().default(false),
    /** What the call was about to change, sealed with the token key (see edits/snapshots.ts). */
    snapshot: text('snapshot'),
    snapshotAt: integer('snapshot_at'),
    /** For `source: "revert"`: the call whose change this one put back. */
    revertOf: text('revert_of'),
    /** The server process running this call (instances table): who may still finish a `running` row. */
    instanceId: text('instance_id'),
  },
  (table) => [
    index('tool_calls_user_started_idx').on(table.userId, table.startedAt, table.id),
    // Partial: only calls with no message (reverts); a conversation's chat calls are found through its
    // messages (tool_calls_message_idx).
    index('tool_calls_unattached_conversation_idx')
      .on(table.conversationId)
      .where(sql`${table.messageId} is null`),
    // A transcript loads the calls of its messages (listForMessages).
    index('tool_calls_message_idx').on(table.messageId),
    // Partial, like messages_streaming_idx: only the few `running` calls, which the sweeps read.
    index('tool_calls_running_idx').on(table.instanceId).where(sql`${table.status} = 'running'`),
  ],
);
