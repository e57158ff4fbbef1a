import type { RecordValues, SheetReference } from './wps-reads.js';

export const IMPORT_MARKDOWN = 'kso_airpage_import_markdown_data';
export const UPDATE_RECORDS = 'kso_dbsheet_update_sheet_records';
export const CREATE_RECORDS = 'kso_dbsheet_create_sheet_records';

/** What a write call would change, read from its arguments alone. */
export type EditPlan =
  | { kind: 'document-overwrite'; fileId: string; markdown: string }
  | { kind: 'document-create'; markdown: string; title?: string }
  | { kind: 'records-update'; sheet: SheetReference; records: RecordValues[] }
  | { kind: 'records-create'; sheet: SheetReference; records: Array<Record<string, unknown>> };

/** The before-state stored with a write call, sealed (see snapshots.ts). */
export type BeforeState =
  | { kind: 'document'; fileId: string; driveId: string; markdown: string }
  | { kind: 'records'; server: string; sheet: SheetReference; records: RecordValues[] };

function sheetOf(args: Record<string, unknown>): SheetReference {
  const sheet: SheetReference = {};
  if (typeof args.fileID === 'string') sheet.fileID = args.fileID;
  if (typeof args.fileURL === 'string') sheet.fileURL = args.fileURL;
  if (typeof args.sheetID === 'string' || typeof args.sheetID === 'number') sheet.sheetID = args.sheetID;
  if (typeof args.sheetName === 'string') sheet.sheetName = args.sheetName;
  return sheet;
}

/** `fields_value` is a JSON string in WPS's schema; anything unreadable counts as no fields. */
function parseFields(value: unknown): Record<string, unknown> {
  if (typeof value !== 'string')
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function recordsOf(args: Record<string, unknown>): Array<Record<string, unknown>> {
  return Array.isArray(args.records)
    ? args.records.filter(
        (record): record is Record<string, unknown> => Boolean(record) && typeof record === 'object',
      )
    : [];
}

/** The plan of a WPS write this product knows how to preview (and, for overwrites and updates, undo). */
export function editPlanOf(name: string, args: Record<string, unknown>): EditPlan | undefined {
  if (name === IMPORT_MARKDOWN && typeof args.markdown_content === 'string') {
    if (typeof args.file_id === 'string' && args.file_id)
      return { kind: 'document-overwrite', fileId: args.file_id, markdown: args.markdown_content };
    return {
      kind: 'document-create',
      markdown: args.markdown_content,
      ...(typeof args.title === 'string' ? { title: args.title } : {}),
    };
  }
  if (name === UPDATE_RECORDS) {
    const records = recordsOf(args).map((record) => ({
      id: String(record.id),
      fields: parseFields(record.fields_value),
    }));
    return { kind: 'records-update', sheet: sheetOf(args), records };
  }
  if (name === CREATE_RECORDS)
    return {
      kind: 'records-create',
      sheet: sheetOf(args),
      records: recordsOf(args).map((record) => parseFields(record.fields_value)),
    };
  return undefined;
}

/** The field names a records update touches, in first-seen order. */
export function touchedFields(records: RecordValues[]): string[] {
  return [...new Set(records.flatMap((record) => Object.keys(record.fields)))];
}

/** The call that puts a before-state back, through WPS's own write tools. */
export function restoringCall(before: BeforeState): {
  name: string;
  server: string;
  arguments: Record<string, unknown>;
} {
  if (before.kind === 'document')
    return {
      name: IMPORT_MARKDOWN,
      server: 'kso-airpage',
      arguments: { file_id: before.fileId, markdown_content: before.markdown },
    };
  return {
    name: UPDATE_RECORDS,
    server: before.server,
    arguments: {
      ...before.sheet,
      records: before.records.map((record) => ({
        id: record.id,
        fields_value: JSON.stringify(record.fields),
      })),
    },
  };
}
