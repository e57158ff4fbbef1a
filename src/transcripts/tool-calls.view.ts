import { isRevertible } from '../edits/revert.js';
import type { ToolCallEdits } from '../edits/tool-call-edits.js';
import type { ToolCallRow } from './tool-calls.repository.js';

/** A tool call as the HTTP API shows it (`/v1/tool-calls`, conversation transcripts). */
export function toolCallView(row: ToolCallRow, edits?: ToolCallEdits) {
  return {
    id: row.id,
    conversationId: row.conversationId,
    messageId: row.messageId,
    step: row.step,
    name: row.name,
    safeName: row.safeName,
    server: row.server,
    arguments: row.arguments,
    result: row.result ?? null,
    isError: row.isError,
    status: row.status,
    source: row.source,
    startedAt: new Date(row.startedAt).toISOString(),
    durationMs: row.durationMs,
    // Only calls that change WPS data say whether they can be put back.
    ...(row.changesData ? { revertible: isRevertible(row) } : {}),
    ...(row.revertOf ? { revertOf: row.revertOf } : {}),
    ...edits,
  };
}

/** Tool calls as the API shows them, each with its approval and change where it has them. */
export async function toolCallViews(
  rows: ToolCallRow[],
  edits?: { forRows(rows: ToolCallRow[]): Promise<Map<string, ToolCallEdits>> },
) {
  const byId = await edits?.forRows(rows);
  return rows.map((row) => toolCallView(row, byId?.get(row.id)));
}
