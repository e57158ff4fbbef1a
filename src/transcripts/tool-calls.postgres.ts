import { and, desc, eq, inArray, isNull, lt, ne, type SQL, sql } from 'drizzle-orm';
import { withDatabaseErrors } from '../db/database-errors.js';
import type { PostgresDatabase } from '../db/postgres-database.js';
import { prepareNamed } from '../db/postgres-prepared.js';
import {
  type InstanceIdentity,
  postgresInstanceLiveness,
  READ_ONLY_INSTANCE,
} from '../instances/instance-liveness.js';
import { toolCallListWhere } from './list-conditions.js';
import {
  newToolCallDefaults,
  newToolCallPlaceholders,
  toolCallIdPlaceholder,
  toolCallOutcomePlaceholders,
} from './tool-call-statements.js';
import type {
  ToolCallFilters,
  ToolCallRow,
  ToolCallStatus,
  ToolCallsRepository,
} from './tool-calls.repository.js';
import { messagesTable, toolCallsTable } from './transcripts.pg-tables.js';

const { ownedByDeadInstance } = postgresInstanceLiveness;

/**
 * The PostgreSQL implementation of tool-calls.repository.ts (same methods, same meaning; the comments
 * there describe each). Every write is one statement, so READ COMMITTED needs nothing more: a guarded
 * UPDATE re-checks its condition on the row it waited for.
 */
export function createPostgresToolCallsRepository({
  db,
  instance = READ_ONLY_INSTANCE,
}: {
  db: PostgresDatabase;
  instance?: InstanceIdentity;
}): ToolCallsRepository {
  // The writes of every tool call (an approved one is marked running instead of inserted): named
  // prepared statements, parsed once per pooled connection.
  const insertCall = prepareNamed(
    'tool_calls_insert',
    db.insert(toolCallsTable).values(newToolCallPlaceholders),
  );
  const markCallRunning = prepareNamed(
    'tool_calls_mark_running',
    db
      .update(toolCallsTable)
      .set({ status: 'running', startedAt: sql`${sql.placeholder('startedAt')}` })
      .where(eq(toolCallsTable.id, toolCallIdPlaceholder)),
  );
  const finishCall = prepareNamed(
    'tool_calls_finish',
    db
      .update(toolCallsTable)
      .set(toolCallOutcomePlaceholders)
      // A call closed as aborted (shutdown, a dead instance) stays aborted: a late finish cannot reopen it.
      .where(and(eq(toolCallsTable.id, toolCallIdPlaceholder), ne(toolCallsTable.status, 'aborted'))),
  );

  const abortRunningWhere = async (condition: SQL | undefined) =>
    (
      await db
        .update(toolCallsTable)
        .set({ status: 'aborted', isError: true, durationMs: null })
        // A literal, as in the SQLite twin: it matches the partial index tool_calls_running_idx.
        .where(and(sql`${toolCallsTable.status} = 'running'`, condition))
    ).rowCount ?? 0;

  return withDatabaseErrors({
    async insert(row: Omit<typeof toolCallsTable.$inferInsert, 'instanceId'>): Promise<void> {
      await insertCall.execute({
        ...newToolCallDefaults,
        ...row,
        instanceId: instance.id,
      });
    },

    async markRunning(id: string, startedAt: number): Promise<void> {
      await markCallRunning.execute({ id, startedAt });
    },

    async storeSnapshot(id: string, sealed: string, at: number): Promise<void> {
      await db
        .update(toolCallsTable)
        .set({ snapshot: sealed, snapshotAt: at })
        .where(eq(toolCallsTable.id, id));
    },

    async findForUser(userId: string, id: string): Promise<ToolCallRow | undefined> {
      const [row] = await db
        .select()
        .from(toolCallsTable)
        .where(and(eq(toolCallsTable.id, id), eq(toolCallsTable.userId, userId)));
      return row;
    },

    async purgeSnapshotsBefore(before: number): Promise<number> {
      const purged = await db
        .update(toolCallsTable)
        .set({ snapshot: null, snapshotAt: null })
        .where(lt(toolCallsTable.snapshotAt, before));
      return purged.rowCount ?? 0;
    },

    async finish(
      id: string,
      outcome: { result: unknown; isError: boolean; status: ToolCallStatus; durationMs: number },
    ): Promise<void> {
      await finishCall.execute({ id, ...outcome });
    },

    async list(filters: ToolCallFilters): Promise<ToolCallRow[]> {
      return db
        .select()
        .from(toolCallsTable)
        .where(toolCallListWhere(toolCallsTable, filters, messagesTable))
        .orderBy(desc(toolCallsTable.startedAt), desc(toolCallsTable.id))
        .limit(filters.limit);
    },

    async listForMessages(messageIds: string[]): Promise<ToolCallRow[]> {
      if (messageIds.length === 0) return [];
      return db
        .select()
        .from(toolCallsTable)
        .where(inArray(toolCallsTable.messageId, messageIds))
        .orderBy(toolCallsTable.startedAt, toolCallsTable.id);
    },

    async abortRunningStartedBefore(before: number): Promise<number> {
      return abortRunningWhere(and(isNull(toolCallsTable.instanceId), lt(toolCallsTable.startedAt, before)));
    },

    async abortRunningOfDeadInstances(now: number): Promise<number> {
      return abortRunningWhere(ownedByDeadInstance(toolCallsTable.instanceId, instance, now));
    },

    async abortRunningOfThisInstance(): Promise<number> {
      return abortRunningWhere(eq(toolCallsTable.instanceId, instance.id));
    },
  });
}
