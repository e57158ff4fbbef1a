import type { CatalogTool } from '../mcp/tool-catalog.js';

/**
 * WPS tools known to only read: search, file meta, content and comment extraction, dbsheet schema and
 * record listing, calendar lists, free/busy and attendee lists. Everything else may change data.
 */
const BUILT_IN_READ_TOOLS = new Set([
  'kso_yundoc_search_yundoc',
  'kso_yundoc_get_file_meta',
  'kso_yundoc_extract_yundoc_content',
  'kso_yundoc_extract_yundoc_comment',
  'kso_dbsheet_get_file_schema',
  'kso_dbsheet_list_sheet_records',
  'kso_calendar_list_calendar_events',
  'kso_calendar_list_free_busy',
  'kso_calendar_list_event_attendees',
]);

/**
 * Whether a tool only reads: it is one of WPS's read tools, or its server annotates it `readOnlyHint`.
 * A tool this product has never seen counts as a write: unknown tools fail closed.
 */
export function isReadOnlyTool(tool: Pick<CatalogTool, 'name' | 'annotations'>): boolean {
  return BUILT_IN_READ_TOOLS.has(tool.name) || tool.annotations?.readOnlyHint === true;
}

/** `TOOL_APPROVAL`: which tool calls wait for the user's approval before they run. */
export type ToolApprovalSetting = 'writes' | 'all' | 'never';

export function needsApproval(
  tool: Pick<CatalogTool, 'name' | 'annotations'>,
  setting: ToolApprovalSetting,
): boolean {
  if (setting === 'never') return false;
  return setting === 'all' || !isReadOnlyTool(tool);
}
