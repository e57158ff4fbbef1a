import { isDeepStrictEqual } from 'node:util';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ApprovalRow } from '../approvals/approvals.repository.js';
import type { Previews } from '../edits/previews.js';
import type { ToolRunner, ToolRunOutcome, ToolRunRequest } from '../mcp/tool-runner.js';
import type { ToolCallsRepository } from '../transcripts/tool-calls.repository.js';

/** Approved calls of a paused turn, by the model's tool call id. */
export type ApprovedCalls = Map<string, { run: (request: ToolRunRequest) => Promise<ToolRunOutcome> }>;

/**
 * How an approved call runs: with exactly the arguments that were shown, on its own transcript row, and
 * only if the data is still what the preview was computed from. Otherwise nothing is written and the
 * model is told to read again and call again, which asks the user afresh with a fresh diff.
 */
export function approvedCallsFor(options: {
  approved: Map<string, ApprovalRow>;
  runner: ToolRunner;
  previews: Previews;
  toolCallsRepository: ToolCallsRepository;
}): ApprovedCalls {
  const refuse = async (row: ApprovalRow, text: string): Promise<ToolRunOutcome> => {
    const result: CallToolResult = { isError: true, content: [{ type: 'text', text }] };
    await options.toolCallsRepository.finish(row.toolCallId, {
      result,
      isError: true,
      status: 'error',
      durationMs: 0,
    });
    return { toolCallId: row.toolCallId, status: 'error', result, isError: true, durationMs: 0 };
  };
  const calls: ApprovedCalls = new Map();
  for (const [modelToolCallId, row] of options.approved) {
    calls.set(modelToolCallId, {
      async run(request) {
        const sameTool = request.tool.name === row.name && request.tool.server === row.server;
        if (!sameTool || !isDeepStrictEqual(request.arguments, row.arguments))
          return refuse(row, 'Not run: the tool or its arguments differ from the ones the user approved.');
        if (row.previewBasis !== null) {
          const current = await options.previews
            .preview(request.userId, request.tool, request.arguments)
            .catch(() => undefined);
          if (current && current.basis !== row.previewBasis)
            return refuse(
              row,
              'Not run, nothing was written: the data changed after the user saw the preview. Read it again and call the tool again; the user will be asked to approve the new change.',
            );
        }
        return options.runner.run({ ...request, toolCallId: row.toolCallId });
      },
    });
  }
  return calls;
}
