import { describe, expect, it } from 'vitest';
import { isReadOnlyTool, needsApproval } from '../../src/approvals/tool-classification.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const tool = (name: string, annotations?: { readOnlyHint?: boolean }) => ({ name, annotations });

describe('which tool calls change WPS data', () => {
  it("WPS's read tools only read; its write tools write", () => {
    for (const name of [
      'kso_yundoc_search_yundoc',
      'kso_yundoc_extract_yundoc_content',
      'kso_dbsheet_list_sheet_records',
      'kso_calendar_list_free_busy',
    ])
      expect(isReadOnlyTool(tool(name))).toBe(true);
    for (const name of [
      'kso_airpage_import_markdown_data',
      'kso_dbsheet_update_sheet_records',
      'kso_calendar_create_calendar_event',
    ])
      expect(isReadOnlyTool(tool(name))).toBe(false);
  });

  it('a tool this product has never seen is a write, unless its server annotates it readOnlyHint', () => {
    expect(isReadOnlyTool(tool('kso_todo_something_new'))).toBe(false);
    expect(isReadOnlyTool(tool('kso_todo_something_new', { readOnlyHint: false }))).toBe(false);
    expect(isReadOnlyTool(tool('kso_todo_list_tasks', { readOnlyHint: true }))).toBe(true);
  });

  it('TOOL_APPROVAL decides which calls wait: writes (unknown tools included), all, or none', () => {
    expect(needsApproval(tool('kso_airpage_import_markdown_data'), 'writes')).toBe(true);
    expect(needsApproval(tool('kso_mystery_tool'), 'writes')).toBe(true);
    expect(needsApproval(tool('kso_yundoc_search_yundoc'), 'writes')).toBe(false);
    expect(needsApproval(tool('kso_yundoc_search_yundoc'), 'all')).toBe(true);
    expect(needsApproval(tool('kso_airpage_import_markdown_data'), 'never')).toBe(false);
  });
});

describe('safe-edit settings', () => {
  it('default to approving writes, a 24 h approval expiry, 30 days of snapshots and a 50% flag', () => {
    expect(loadConfig({}).safeEdits).toEqual({
      approval: 'writes',
      approvalTtlMs: 86_400_000,
      snapshotRetentionMs: 30 * 86_400_000,
      destructiveRemovalRatio: 0.5,
    });
  });

  it('refuse an unknown TOOL_APPROVAL with the allowed values', () => {
    expect(() => loadConfig({ TOOL_APPROVAL: 'sometimes' })).toThrow(ConfigError);
    expect(() => loadConfig({ TOOL_APPROVAL: 'sometimes' })).toThrow(/writes, all, never/);
  });
});
