import type { SandboxDbsheet, SandboxField, SandboxRecord, SandboxSheet } from '../store/store-types.js';
import { SandboxToolError, TOOL_ERROR_CODES } from './tool-result.js';

/** WPS sheet ids are integers; models send them as numbers or strings, so both are accepted. */
export type SheetIdInput = number | string | undefined;

export function resolveSheet(
  table: SandboxDbsheet,
  selector: { sheetID?: SheetIdInput; sheetName?: string },
  options: { defaultToFirst: boolean },
): SandboxSheet {
  const { sheetID, sheetName } = selector;
  if (sheetID !== undefined && sheetID !== '') {
    const sheet = table.sheets.find((candidate) => String(candidate.id) === String(sheetID));
    if (!sheet)
      throw new SandboxToolError(TOOL_ERROR_CODES.sheetNotFound, `sheet ${sheetID} not found / 数据表不存在`);
    return sheet;
  }
  if (sheetName) {
    const sheet = table.sheets.find((candidate) => candidate.name === sheetName);
    if (!sheet)
      throw new SandboxToolError(
        TOOL_ERROR_CODES.sheetNotFound,
        `sheet "${sheetName}" not found / 数据表不存在`,
      );
    return sheet;
  }
  const first = table.sheets[0];
  if (options.defaultToFirst && first) return first;
  throw new SandboxToolError(
    TOOL_ERROR_CODES.invalidParams,
    'sheetID or sheetName is required / 缺少 sheetID 或 sheetName',
  );
}

/** `fields_value` is a JSON string of `{fieldName: value}`, as WPS's dbsheet tools take it. */
export function parseFieldsValue(sheet: SandboxSheet, fieldsValue: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fieldsValue);
  } catch {
    throw new SandboxToolError(
      TOOL_ERROR_CODES.invalidParams,
      'fields_value must be a JSON string / fields_value 必须是 JSON 字符串',
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SandboxToolError(
      TOOL_ERROR_CODES.invalidParams,
      'fields_value must encode a JSON object / fields_value 必须是对象',
    );
  }
  const values = parsed as Record<string, unknown>;
  const unknown = Object.keys(values).filter((name) => !sheet.fields.some((field) => field.name === name));
  if (unknown.length > 0) {
    throw new SandboxToolError(
      TOOL_ERROR_CODES.unknownField,
      `unknown field(s): ${unknown.join(', ')} / 字段不存在`,
    );
  }
  return values;
}

export function selectFields(
  sheet: SandboxSheet,
  fieldNames?: string[],
  fieldIDs?: string[],
): SandboxField[] {
  if (!fieldNames?.length && !fieldIDs?.length) return sheet.fields;
  const missing = [
    ...(fieldNames ?? []).filter((name) => !sheet.fields.some((field) => field.name === name)),
    ...(fieldIDs ?? []).filter((id) => !sheet.fields.some((field) => field.id === id)),
  ];
  if (missing.length > 0) {
    throw new SandboxToolError(
      TOOL_ERROR_CODES.unknownField,
      `unknown field(s): ${missing.join(', ')} / 字段不存在`,
    );
  }
  return sheet.fields.filter((field) => fieldNames?.includes(field.name) || fieldIDs?.includes(field.id));
}

export function projectRecord(record: SandboxRecord, fields: SandboxField[]) {
  return {
    id: record.id,
    fields: Object.fromEntries(fields.map((field) => [field.name, record.fields[field.name] ?? ''])),
  };
}

export function tableSchema(table: SandboxDbsheet) {
  return {
    file_id: table.id,
    file_name: table.name,
    link_url: table.linkUrl,
    sheets: table.sheets.map((sheet) => ({
      id: sheet.id,
      name: sheet.name,
      fields: sheet.fields.map((field) => ({ id: field.id, name: field.name, type: field.type })),
      record_count: sheet.records.length,
    })),
  };
}

/** Page tokens are opaque to callers; here they are the offset of the next record. */
export function parsePageToken(pageToken: string | undefined): number {
  if (!pageToken) return 0;
  const offset = Number(pageToken);
  if (!Number.isInteger(offset) || offset < 0) {
    throw new SandboxToolError(TOOL_ERROR_CODES.invalidParams, 'invalid pageToken / pageToken 无效');
  }
  return offset;
}
