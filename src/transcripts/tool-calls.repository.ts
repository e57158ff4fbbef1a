import { and, desc, eq, inArray, isNull, lt, ne, type SQL, sql } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { withDatabaseErrors } from '../db/database-errors.js';
import { createGroupCommit, type GroupCommit } from '../db/group-commit.js';
import {
  type InstanceIdentity,
  ownedByDeadInstance,
  READ_ONLY_INSTANCE,
} from '../instances/instance-liveness.js';
import { toolCallListWhere } from './list-conditions.js';
import {
  newToolCallDefaults,
  newToolCallPlaceholders,
  toolCallIdPlaceholder,
  toolCallOutcomePlaceholders,
} from './tool-call-statements.js';
import { messagesTable, toolCallsTable } from './transcripts.tables.js';

export type ToolCallRow = typeof toolCallsTable.$inferSelect;
export type ToolCallStatus = ToolCallRow['status'];
export type ToolCallSource = ToolCallRow['source'];

export interface ToolCallFilters {
  userId: string;
  conversationId?: string;
  name?: string;
  status?: ToolCallStatus;
  source?: ToolCallSource;
  writes?: boolean;
  /** Rows strictly older than this (startedAt, id) position: cursor pagination, newest first. */
  before?: { startedAt: number; id: string };
  limit: number;
}

/**
 * `instance` is the process that owns the calls it inserts (see instances/instance-liveness.ts); a call's
 * start and finish go through `groupCommit` (db/group-commit.ts).
 */
export function createToolCallsRepository({
  db,
  instance = READ_ONLY_INSTANCE,
  groupCommit = createGroupCommit(db.$client),
}: {
  db: AppDatabase;
  instance?: InstanceIdentity;
  groupCommit?: GroupCommit;
}) {
  // Two writes per tool call, on the hot path of every turn: prepared once instead of rebuilt per call.
  const insertCall = db.insert(toolCallsTable).values(newToolCallPlaceholders).prepare();
  const finishCall = db
    .update(toolCallsTable)
    .set(toolCallOutcomePlaceholders)
    // A call closed as aborted (shutdown, a dead instance) stays aborted: a late finish cannot reopen it.
    .where(and(eq(toolCallsTable.id, toolCallIdPlaceholder), ne(toolCallsTable.status, 'aborted')))
    .prepare();

  const abortRunningWhere = (condition: SQL | undefined) =>
    db
      .update(toolCallsTable)
      .set({ status: 'aborted', isError: true, durationMs: null })
      // A literal, not a parameter: it matches the partial index tool_calls_running_idx (see isStreaming in
      // conversations.repository.ts).
      .where(and(sql`${toolCallsTable.status} = 'running'`, condition))
      .run().changes;

  return withDatabaseErrors({
    async insert(row: Omit<typeof toolCallsTable.$inferInsert, 'instanceId'>): Promise<void> {
      const values = { ...newToolCallDefaults, ...row, instanceId: instance.id };
      await groupCommit.run(() => insertCall.run(values));
    },

    /** An approved call starts: its `awaiting_approval` row becomes `running`. */
    async markRunning(id: string, startedAt: number): Promise<void> {
      db.update(toolCallsTable).set({ status: 'running', startedAt }).where(eq(toolCallsTable.id, id)).run();
    },

    /** Stores the sealed before-state of a write call, just before the write runs. */
    async storeSnapshot(id: string, sealed: string, at: number): Promise<void> {
      db.update(toolCallsTable)
        .set({ snapshot: sealed, snapshotAt: at })
        .where(eq(toolCallsTable.id, id))
        .run();
    },

    /** One call of the user's; another user's is not found. */
    async findForUser(userId: string, id: string): Promise<ToolCallRow | undefined> {
      return db
        .select()
        .from(toolCallsTable)
        .where(and(eq(toolCallsTable.id, id), eq(toolCallsTable.userId, userId)))
        .get();
    },

    /** Forgets before-states taken before `before` (SNAPSHOT_RETENTION_DAYS): those calls stop being revertible. */
    async purgeSnapshotsBefore(before: number): Promise<number> {
      return db
        .update(toolCallsTable)
        .set({ snapshot: null, snapshotAt: null })
        .where(lt(toolCallsTable.snapshotAt, before))
        .run().changes;
    },

    async finish(
      id: string,
      outcome: { result: unknown; isError: boolean; status: ToolCallStatus; durationMs: number },
    ): Promise<void> {
      await groupCommit.run(() => finishCall.run({ id, ...outcome }));
    },

    async list(filters: ToolCallFilters): Promise<ToolCallRow[]> {
      return db
        .select()
        .from(toolCallsTable)
        .where(toolCallListWhere(toolCallsTable, filters, messagesTable))
        .orderBy(desc(toolCallsTable.startedAt), desc(toolCallsTable.id))
        .limit(filters.limit)
        .all();
    },

    async listForMessages(messageIds: string[]): Promise<ToolCallRow[]> {
      if (messageIds.length === 0) return [];
      return db
        .select()
        .from(toolCallsTable)
        .where(inArray(toolCallsTable.messageId, messageIds))
        .orderBy(toolCallsTable.startedAt, toolCallsTable.id)
        .all();
    },

    /**
     * Closes as aborted the calls still `running` that started before `before` and record no instance
     * (written before instances were recorded): only their age can tell they were abandoned.
     */
    async abortRunningStartedBefore(before: number): Promise<number> {
      return abortRunningWhere(and(isNull(toolCallsTable.instanceId), lt(toolCallsTable.startedAt, before)));
    },

    /** Closes as aborted the calls still `running` whose instance is dead (its heartbeat stopped). */
    async abortRunningOfDeadInstances(now: number): Promise<number> {
      return abortRunningWhere(ownedByDeadInstance(toolCallsTable.instanceId, instance, now));
    },

    /** Shutdown: this instance's calls still `running` end `aborted` rather than wait for a sweep. */
    async abortRunningOfThisInstance(): Promise<number> {
      return abortRunningWhere(eq(toolCallsTable.instanceId, instance.id));
    },
  });
}

export type ToolCallsRepository = ReturnType<typeof createToolCallsRepository>;
