import { and, count, desc, eq, gte, lt, type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { type InstanceIdentity, ownedByLiveInstance } from '../instances/instance-liveness.js';
import { endTurnChanges } from './end-turn-changes.js';
import { messageSizeColumns, replayedMessageColumns } from './message-sizes.js';
import { conversationsTable, messagesTable } from './transcripts.tables.js';

const p = (name: string) => sql.placeholder(name);

/**
 * Appends the JSON array text `:added` to the stored JSON array `model_messages` without reading it into
 * JavaScript: a step stores only its new model messages, and nothing already stored is parsed or
 * re-serialised. Both sides are compact `JSON.stringify` arrays (drizzle writes the column that way), so
 * splicing at the closing bracket keeps a valid array; an empty `:added` leaves the value as it is.
 */
const appendedModelMessages = (added: Placeholder): SQL => {
  const stored = messagesTable.modelMessages;
  return sql`case
    when ${added} = '[]' then ${stored}
    when ${stored} is null or ${stored} = '[]' then ${added}
    else substr(${stored}, 1, length(${stored}) - 1) || ',' || substr(${added}, 2)
  end`;
};

/**
 * `status = 'streaming'` as a literal, not a bound parameter: it matches the partial index
 * messages_streaming_idx, which SQLite can use with a parameter only by re-preparing every run.
 */
export const isStreaming = sql`${messagesTable.status} = 'streaming'`;

/**
 * The statements every chat turn runs, prepared once per repository: building and preparing them per call
 * cost about as much CPU as running them (issue 12's profile). Placeholders are named; JSON columns set
 * through a placeholder go through drizzle's column encoder, raw `sql` ones take JSON text.
 */
export function prepareTurnStatements(db: AppDatabase, instance: InstanceIdentity) {
  /** Assistant messages still being produced by a live instance: turns in flight. */
  const inFlight = and(
    eq(messagesTable.role, 'assistant'),
    isStreaming,
    ownedByLiveInstance(messagesTable.instanceId, instance, p('now')),
  );
  /** A page of a conversation's messages before a place, newest first. */
  const newestBefore = and(
    eq(messagesTable.conversationId, p('conversationId')),
    lt(messagesTable.sequence, p('before')),
  );
  const newestFirst = desc(messagesTable.sequence);
  /**
   * The messages table read through its partial index of `streaming` rows. Without stats SQLite plans
   * `conversation_id = ?` on the unique (conversation, sequence) index instead, and reads every message
   * of the conversation (of each of the user's conversations, for the in-flight count) to find the one
   * or two streaming: a turn start's cost grew with the history. `indexed by` makes it a plan error,
   * not a slow plan, if a change ever makes the index unusable.
   */
  const streamingMessages = sql`${messagesTable} indexed by messages_streaming_idx`;
  const limit = p('limit');
  return {
    /**
     * No `limit`: `get` stops at the first row anyway, and drizzle binds a limit as a parameter, which
     * made this read cost ten times what it does without one (4 µs against 0.4 µs inside a transaction).
     */
    busy: db
      .select({ id: sql<string>`${messagesTable.id}` })
      .from(streamingMessages)
      .where(and(eq(messagesTable.conversationId, p('conversationId')), inFlight))
      .prepare(),
    findConversation: db
      .select()
      .from(conversationsTable)
      .where(and(eq(conversationsTable.id, p('id')), eq(conversationsTable.userId, p('userId'))))
      .prepare(),
    conversationOwner: db
      .select({ userId: conversationsTable.userId })
      .from(conversationsTable)
      .where(eq(conversationsTable.id, p('conversationId')))
      .prepare(),
    /**
     * Every turn in flight (the streaming index, bounded by load), each checked for its owner by
     * primary key: not the user's conversations one by one, which grow with the user's history.
     */
    turnsInFlightOfUser: db
      .select({ turns: count() })
      .from(streamingMessages)
      .where(
        and(
          inFlight,
          sql`(select ${conversationsTable.userId} from ${conversationsTable}
            where ${conversationsTable.id} = ${messagesTable.conversationId}) = ${p('userId')}`,
        ),
      )
      .prepare(),
    insertConversation: db
      .insert(conversationsTable)
      .values({
        id: p('id'),
        userId: p('userId'),
        title: p('title'),
        createdAt: p('createdAt'),
        updatedAt: p('updatedAt'),
      })
      .prepare(),
    /** The message takes the next place in its conversation in the same statement (no `max` read first). */
    insertMessage: db
      .insert(messagesTable)
      .values({
        id: p('id'),
        conversationId: p('conversationId'),
        role: p('role'),
        text: p('text'),
        status: p('status'),
        modelMessages: p('modelMessages'),
        error: p('error'),
        createdAt: p('createdAt'),
        sequence: sql`(select coalesce(max(${messagesTable.sequence}), 0) + 1 from ${messagesTable}
          where ${messagesTable.conversationId} = ${p('conversationId')})`,
        instanceId: instance.id,
      })
      .prepare(),
    bumpConversation: db
      .update(conversationsTable)
      .set({ updatedAt: sql`${p('now')}` })
      .where(eq(conversationsTable.id, p('conversationId')))
      .prepare(),
    appendStep: db
      .update(messagesTable)
      .set({ text: sql`${p('text')}`, modelMessages: appendedModelMessages(p('added')) })
      .where(eq(messagesTable.id, p('id')))
      .prepare(),
    /** `:setError` is 0 or 1 here (SQLite has no booleans). */
    endTurn: db
      .update(messagesTable)
      .set({ ...endTurnChanges(messagesTable), modelMessages: appendedModelMessages(p('added')) })
      .where(eq(messagesTable.id, p('messageId')))
      .prepare(),
    /** Newest first, before a place in the conversation: the history is read back only as far as it fits. */
    recentMessages: db
      .select(replayedMessageColumns(messagesTable))
      .from(messagesTable)
      .where(newestBefore)
      .orderBy(newestFirst)
      .limit(limit)
      .prepare(),
    /**
     * The same messages' sizes only (see messageSizeColumns), from a place on: what the history loader
     * reads first.
     */
    recentMessageSizes: db
      .select(messageSizeColumns(messagesTable))
      .from(messagesTable)
      .where(and(newestBefore, gte(messagesTable.sequence, p('from'))))
      .orderBy(newestFirst)
      .limit(limit)
      .prepare(),
  };
}

export type TurnStatements = ReturnType<typeof prepareTurnStatements>;
