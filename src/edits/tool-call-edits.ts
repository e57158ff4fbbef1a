import type { ApprovalsRepository } from '../approvals/approvals.repository.js';
import type { Approvals } from '../approvals/approvals.usecases.js';
import type { ToolCallRow } from '../transcripts/tool-calls.repository.js';
import { editPlanOf } from './edit-plans.js';
import { describeMarkdownChange, type EditPreview, markdownDiff } from './previews.js';
import type { Snapshots } from './snapshots.js';

/** What review pages show beside a write call: its approval, and its change as a diff. */
export interface ToolCallEdits {
  approval?: {
    id: string;
    decision: 'pending' | 'approved' | 'denied';
    decidedAt: string | null;
    reason: string | null;
    expiresAt: string;
    /** What the user was (or is being) asked about. */
    preview: EditPreview;
  };
  /** For a call that ran: the change it made, from the kept before-state to what it wrote. */
  change?: EditPreview;
}

/**
 * The approvals and diffs of a page of tool calls, so transcripts and the review page show a write as a
 * diff (not raw Markdown) and rebuild pending approvals after a reload.
 */
export function createToolCallEdits(options: {
  approvalsRepository: ApprovalsRepository;
  approvals: Approvals;
  snapshots: Snapshots;
  destructiveRatio: number;
}) {
  const changeOf = (row: ToolCallRow): EditPreview | undefined => {
    if (!row.snapshot) return undefined;
    const before = options.snapshots.open(row.snapshot);
    if (!before) return undefined; // sealed with a retired key: the call shows without its diff
    const plan = editPlanOf(row.name, (row.arguments ?? {}) as Record<string, unknown>);
    if (before.kind === 'document' && plan?.kind === 'document-overwrite') {
      const { summary, destructive } = describeMarkdownChange(
        before.markdown,
        plan.markdown,
        options.destructiveRatio,
      );
      return { summary, destructive, diff: markdownDiff(before.fileId, before.markdown, plan.markdown) };
    }
    if (before.kind === 'records' && plan?.kind === 'records-update') {
      return {
        summary: `Updated ${plan.records.length} record(s)`,
        records: plan.records.map((record) => ({
          id: record.id,
          before: before.records.find((candidate) => candidate.id === record.id)?.fields ?? {},
          after: record.fields,
        })),
      };
    }
    return undefined;
  };

  return {
    async forRows(rows: ToolCallRow[]): Promise<Map<string, ToolCallEdits>> {
      const edits = new Map<string, ToolCallEdits>();
      const approvals = await options.approvalsRepository.listForToolCalls(
        rows
          .filter((row) => row.changesData || row.status === 'awaiting_approval' || row.status === 'denied')
          .map((row) => row.id),
      );
      for (const row of rows) {
        const approval = approvals.find((candidate) => candidate.toolCallId === row.id);
        const change = row.changesData ? changeOf(row) : undefined;
        if (!approval && !change) continue;
        edits.set(row.id, {
          ...(approval
            ? {
                approval: {
                  id: approval.id,
                  decision: approval.status,
                  decidedAt: approval.decidedAt ? new Date(approval.decidedAt).toISOString() : null,
                  reason: approval.reason,
                  expiresAt: new Date(approval.expiresAt).toISOString(),
                  preview: options.approvals.view(approval).preview,
                },
              }
            : {}),
          ...(change ? { change } : {}),
        });
      }
      return edits;
    },
  };
}

export type ToolCallEditsService = ReturnType<typeof createToolCallEdits>;
