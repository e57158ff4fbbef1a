import { and, count, eq, gt, inArray, sql } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { withDatabaseErrors } from '../db/database-errors.js';
import { toolCallsTable } from '../transcripts/transcripts.tables.js';
import { approvalsTable } from './approvals.table.js';

/**
 * `status = 'pending'` as a literal, not a bound parameter: it matches the partial index
 * approvals_pending_idx, which SQLite can use with a parameter only by re-preparing every run.
 */
const isPending = sql`${approvalsTable.status} = 'pending'`;

export type ApprovalRow = typeof approvalsTable.$inferSelect;

export function createApprovalsRepository({ db }: { db: AppDatabase }) {
  // Every new chat message asks it (a new message supersedes a paused turn): prepared once, not per turn.
  const pendingOfConversation = db
    .select()
    .from(approvalsTable)
    .where(and(eq(approvalsTable.conversationId, sql.placeholder('conversationId')), isPending))
    .orderBy(approvalsTable.createdAt, approvalsTable.id)
    .prepare();

  return withDatabaseErrors({
    /** Stores approvals and their `awaiting_approval` transcript rows together. */
    async insertPending(
      rows: Array<{ approval: ApprovalRow; toolCall: typeof toolCallsTable.$inferInsert }>,
    ): Promise<void> {
      db.transaction((transaction) => {
        for (const { approval, toolCall } of rows) {
          transaction.insert(toolCallsTable).values(toolCall).run();
          transaction.insert(approvalsTable).values(approval).run();
        }
      });
    },

    async findForUser(userId: string, id: string): Promise<ApprovalRow | undefined> {
      return db
        .select()
        .from(approvalsTable)
        .where(and(eq(approvalsTable.id, id), eq(approvalsTable.userId, userId)))
        .get();
    },

    async listForMessage(messageId: string): Promise<ApprovalRow[]> {
      return db
        .select()
        .from(approvalsTable)
        .where(eq(approvalsTable.messageId, messageId))
        .orderBy(approvalsTable.createdAt, approvalsTable.id)
        .all();
    },

    async listForToolCalls(toolCallIds: string[]): Promise<ApprovalRow[]> {
      if (toolCallIds.length === 0) return [];
      return db.select().from(approvalsTable).where(inArray(approvalsTable.toolCallId, toolCallIds)).all();
    },

    /** Approvals still waiting for an answer and not yet expired, of every user (the metrics gauge). */
    async countPending(now: number): Promise<number> {
      return (
        db
          .select({ pending: count() })
          .from(approvalsTable)
          .where(and(isPending, gt(approvalsTable.expiresAt, now)))
          .get()?.pending ?? 0
      );
    },

    async listPendingForConversation(conversationId: string): Promise<ApprovalRow[]> {
      return pendingOfConversation.all({ conversationId });
    },

    /** Approved calls of a turn that will never continue (superseded): closed as denied, never run. */
    async closeUnrun(toolCallIds: string[]): Promise<void> {
      if (toolCallIds.length === 0) return;
      db.update(toolCallsTable)
        .set({ status: 'denied', isError: true, durationMs: 0 })
        .where(and(inArray(toolCallsTable.id, toolCallIds), eq(toolCallsTable.status, 'awaiting_approval')))
        .run();
    },

    /**
     * Records a decision only if the approval is still pending, in one UPDATE: of two answers racing
     * (twice from one client, or to two instances), exactly one wins. A denial also closes its call.
     */
    async decide(
      id: string,
      decision: { approved: boolean; reason: string | null; decidedAt: number },
    ): Promise<boolean> {
      return db.transaction((transaction) => {
        const claimed = transaction
          .update(approvalsTable)
          .set({
            status: decision.approved ? 'approved' : 'denied',
            reason: decision.reason,
            decidedAt: decision.decidedAt,
          })
          .where(and(eq(approvalsTable.id, id), eq(approvalsTable.status, 'pending')))
          .returning({ toolCallId: approvalsTable.toolCallId })
          .get();
        if (!claimed) return false;
        if (!decision.approved)
          transaction
            .update(toolCallsTable)
            .set({ status: 'denied', isError: true, durationMs: 0 })
            .where(eq(toolCallsTable.id, claimed.toolCallId))
            .run();
        return true;
      });
    },
  });
}

export type ApprovalsRepository = ReturnType<typeof createApprovalsRepository>;
