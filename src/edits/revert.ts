import { isDeepStrictEqual } from 'node:util';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolCatalog } from '../mcp/tool-catalog.js';
import type { ToolRunner } from '../mcp/tool-runner.js';
import { errors } from '../shared/errors.js';
import type { ToolCallRow, ToolCallsRepository } from '../transcripts/tool-calls.repository.js';
import { type BeforeState, editPlanOf, restoringCall, touchedFields } from './edit-plans.js';
import type { Snapshots } from './snapshots.js';
import type { WpsReads } from './wps-reads.js';

/** WPS may end a document with or without a final newline: that is not an edit. */
export const sameMarkdown = (a: string, b: string) => a.trimEnd() === b.trimEnd();

/** Whether a call ever could be reverted: a write that ran, with its before-state still kept. */
export function isRevertible(row: ToolCallRow): boolean {
  return row.changesData && row.status === 'ok' && row.snapshot !== null;
}

/**
 * `POST /v1/tool-calls/:id/revert`: writes a call's before-state back through WPS's own write tool, as a
 * recorded call of its own (`source: "revert"`, itself revertible). Refuses when the data changed since
 * the call, unless forced, so a revert never silently throws away someone's later edit.
 */
export function createReverter(options: {
  toolCallsRepository: ToolCallsRepository;
  snapshots: Snapshots;
  reads: WpsReads;
  catalog: ToolCatalog;
  runner: ToolRunner;
}) {
  /** Whether WPS still holds exactly what the call wrote (only the fields it wrote, for records). */
  async function stillAsWritten(row: ToolCallRow, before: BeforeState): Promise<boolean> {
    const plan = editPlanOf(row.name, (row.arguments ?? {}) as Record<string, unknown>);
    if (before.kind === 'document' && plan?.kind === 'document-overwrite') {
      const current = await options.reads.documentMarkdown(row.userId, before.fileId);
      return sameMarkdown(current.markdown, plan.markdown);
    }
    if (before.kind === 'records' && plan?.kind === 'records-update') {
      const fields = touchedFields(plan.records);
      const current = await options.reads.recordValues(
        row.userId,
        before.sheet,
        plan.records.map((record) => record.id),
        fields,
      );
      return plan.records.every((written) => {
        const now = current.find((record) => record.id === written.id);
        return (
          now !== undefined &&
          Object.entries(written.fields).every(([name, value]) => isDeepStrictEqual(now.fields[name], value))
        );
      });
    }
    return false;
  }

  return {
    async revert(request: {
      userId: string;
      toolCallId: string;
      force: boolean;
    }): Promise<{ toolCallId: string; result: CallToolResult }> {
      const row = await options.toolCallsRepository.findForUser(request.userId, request.toolCallId);
      if (!row) throw errors.notFound('No tool call with this id.');
      if (!isRevertible(row) || !row.snapshot) {
        throw errors.notRevertible(
          row.changesData
            ? 'This call cannot be undone: it did not change anything, it created something WPS has no tool to delete, or its copy has expired.'
            : 'This call only read data; there is nothing to revert.',
        );
      }
      const before = options.snapshots.open(row.snapshot);
      if (!before)
        throw errors.notRevertible(
          'This call cannot be undone: its copy was encrypted with a token encryption key that has since been retired.',
        );
      if (!request.force && !(await stillAsWritten(row, before))) {
        throw errors.editConflict(
          'The data changed since this call wrote it; reverting would throw that later change away. Send {"force":true} to revert anyway.',
        );
      }
      const restoring = restoringCall(before);
      const tool = (await options.catalog.list(row.userId)).find(
        (candidate) => candidate.name === restoring.name && candidate.server === restoring.server,
      );
      if (!tool) throw errors.toolNotFound(restoring.name);
      const outcome = await options.runner.run({
        userId: row.userId,
        tool,
        arguments: restoring.arguments,
        source: 'revert',
        conversationId: row.conversationId ?? undefined,
        revertOf: row.id,
      });
      if (outcome.failure) throw errors.upstreamUnavailable(outcome.failure.message);
      return { toolCallId: outcome.toolCallId, result: outcome.result };
    },
  };
}

export type Reverter = ReturnType<typeof createReverter>;
