import { and, count, eq, gt, inArray, sql } from 'drizzle-orm';
import { withDatabaseErrors } from '../db/database-errors.js';
import type { PostgresDatabase } from '../db/postgres-database.js';
import { toolCallsTable } from '../transcripts/transcripts.pg-tables.js';
import { approvalsTable } from './approvals.pg-table.js';
import type { ApprovalRow, ApprovalsRepository } from './approvals.repository.js';

/** A literal, as in the SQLite twin: it matches the partial index approvals_pending_idx in any plan. */
const isPending = sql`${approvalsTable.status} = 'pending'`;

/**
 * The PostgreSQL implementation of approvals.repository.ts (same methods, same meaning; the comments
 * there describe each).
 */
export function createPostgresApprovalsRepository({ db }: { db: PostgresDatabase }): ApprovalsRepository {
  return withDatabaseErrors({
    async insertPending(
      rows: Array<{ approval: ApprovalRow; toolCall: typeof toolCallsTable.$inferInsert }>,
    ): Promise<void> {
      if (rows.length === 0) return;
      // Calls first: each approval references its call. Two multi-row INSERTs in one transaction.
      await db.transaction(async (transaction) => {
        await transaction.insert(toolCallsTable).values(rows.map(({ toolCall }) => toolCall));
        await transaction.insert(approvalsTable).values(rows.map(({ approval }) => approval));
      });
    },

    async findForUser(userId: string, id: string): Promise<ApprovalRow | undefined> {
      const [row] = await db
        .select()
        .from(approvalsTable)
        .where(and(eq(approvalsTable.id, id), eq(approvalsTable.userId, userId)));
      return row;
    },

    async listForMessage(messageId: string): Promise<ApprovalRow[]> {
      return db
        .select()
        .from(approvalsTable)
        .where(eq(approvalsTable.messageId, messageId))
        .orderBy(approvalsTable.createdAt, approvalsTable.id);
    },

    async listForToolCalls(toolCallIds: string[]): Promise<ApprovalRow[]> {
      if (toolCallIds.length === 0) return [];
      return db.select().from(approvalsTable).where(inArray(approvalsTable.toolCallId, toolCallIds));
    },

    async countPending(now: number): Promise<number> {
      const [row] = await db
        .select({ pending: count() })
        .from(approvalsTable)
        .where(and(isPending, gt(approvalsTable.expiresAt, now)));
      return row?.pending ?? 0;
    },

    async listPendingForConversation(conversationId: string): Promise<ApprovalRow[]> {
      return db
        .select()
        .from(approvalsTable)
        .where(and(eq(approvalsTable.conversationId, conversationId), isPending))
        .orderBy(approvalsTable.createdAt, approvalsTable.id);
    },

    async closeUnrun(toolCallIds: string[]): Promise<void> {
      if (toolCallIds.length === 0) return;
      await db
        .update(toolCallsTable)
        .set({ status: 'denied', isError: true, durationMs: 0 })
        .where(and(inArray(toolCallsTable.id, toolCallIds), eq(toolCallsTable.status, 'awaiting_approval')));
    },

    /**
     * The claim is one guarded UPDATE: under READ COMMITTED a second answer waits for the first's row
     * lock, re-reads the row, finds it no longer `pending` and changes nothing, so exactly one wins. The
     * denial's call update runs in the winner's transaction, so no one sees a denied approval whose call
     * still waits.
     */
    async decide(
      id: string,
      decision: { approved: boolean; reason: string | null; decidedAt: number },
    ): Promise<boolean> {
      return db.transaction(async (transaction) => {
        const [claimed] = await transaction
          .update(approvalsTable)
          .set({
            status: decision.approved ? 'approved' : 'denied',
            reason: decision.reason,
            decidedAt: decision.decidedAt,
          })
          .where(and(eq(approvalsTable.id, id), eq(approvalsTable.status, 'pending')))
          .returning({ toolCallId: approvalsTable.toolCallId });
        if (!claimed) return false;
        if (!decision.approved)
          await transaction
            .update(toolCallsTable)
            .set({ status: 'denied', isError: true, durationMs: 0 })
            .where(eq(toolCallsTable.id, claimed.toolCallId));
        return true;
      });
    },
  });
}
