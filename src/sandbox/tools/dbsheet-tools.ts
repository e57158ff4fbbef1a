import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import {
  parseFieldsValue,
  parsePageToken,
  projectRecord,
  resolveSheet,
  selectFields,
  tableSchema,
} from './dbsheet-helpers.js';
import { accountFiles, findTable, type ToolContext, touch } from './tool-context.js';
import { runTool, SandboxToolError, TOOL_ERROR_CODES } from './tool-result.js';

const fileParams = {
  fileID: z
    .string()
    .optional()
    .describe('多维表格文件 ID（与 fileURL 二选一）/ Dbsheet file id (or fileURL)'),
  fileURL: z
    .string()
    .optional()
    .describe('多维表格分享链接（与 fileID 二选一）/ Dbsheet share link (or fileID)'),
};
const sheetID = z
  .union([z.number().int(), z.string()])
  .optional()
  .describe('数据表 ID，见 get_file_schema / Sheet id, from kso_dbsheet_get_file_schema');
const sheetName = z
  .string()
  .optional()
  .describe('数据表名称（未给 sheetID 时使用）/ Sheet name, used when sheetID is absent');
const fieldsValue = z
  .string()
  .describe(
    '字段值的 JSON 字符串，如 {"Name":"张三"} / JSON STRING of {fieldName: value}, e.g. "{\\"Name\\":\\"Ann\\"}"',
  );

/**
 * Registers the kso-dbsheet tools (multi-dimensional tables). Where WPS's schemas are not public the
 * sandbox identifies a table by fileID (or fileURL) and a sheet by sheetID (or sheetName).
 */
export function registerDbsheetTools(server: McpServer, context: ToolContext): Map<string, RegisteredTool> {
  const tools = new Map<string, RegisteredTool>();
  const fileOf = (input: { fileID?: string; fileURL?: string }) =>
    findTable(context, { id: input.fileID, url: input.fileURL });

  tools.set(
    'kso_dbsheet_get_file_schema',
    server.registerTool(
      'kso_dbsheet_get_file_schema',
      {
        description:
          "获取多维表格的结构（数据表、字段）。可按 fileID / fileURL 指定，或用 keyword 按文件名查找。Get a dbsheet's schema (sheets and fields) by fileID, fileURL or a file-name keyword (at least one).",
        inputSchema: {
          keyword: z.string().optional().describe('文件名关键字 / File name keyword'),
          ...fileParams,
        },
      },
      (input) =>
        runTool(() => {
          if (input.fileID || input.fileURL) return tableSchema(fileOf(input));
          const keyword = input.keyword?.trim().toLowerCase();
          if (!keyword) {
            throw new SandboxToolError(
              TOOL_ERROR_CODES.invalidParams,
              'one of keyword, fileID, fileURL is required / 需要 keyword、fileID 或 fileURL',
            );
          }
          const table = accountFiles(context)
            .tables.filter((candidate) => candidate.name.toLowerCase().includes(keyword))
            .sort((a, b) => b.modifiedAt - a.modifiedAt)[0];
          if (!table)
            throw new SandboxToolError(TOOL_ERROR_CODES.fileNotFound, 'no dbsheet matches / 未找到多维表格');
          return tableSchema(table);
        }),
    ),
  );

  tools.set(
    'kso_dbsheet_list_sheet_records',
    server.registerTool(
      'kso_dbsheet_list_sheet_records',
      {
        description:
          '分页列出数据表中的记录。List the records of a sheet, page by page: {records:[{id, fields:{name:value}}], page_token?}. Pass page_token back as pageToken for the next page.',
        inputSchema: {
          ...fileParams,
          sheetID,
          sheetName,
          fieldNames: z
            .array(z.string())
            .optional()
            .describe('只返回这些字段（按名称）/ Only these fields, by name'),
          fieldIDs: z
            .array(z.string())
            .optional()
            .describe('只返回这些字段（按 ID）/ Only these fields, by id'),
          pageSize: z
            .number()
            .int()
            .min(1)
            .max(1000)
            .optional()
            .describe('每页记录数，默认 100 / Page size, default 100'),
          pageToken: z
            .string()
            .optional()
            .describe('上一页返回的 page_token / page_token from the previous page'),
        },
      },
      (input) =>
        runTool(() => {
          const sheet = resolveSheet(fileOf(input), input, { defaultToFirst: true });
          const fields = selectFields(sheet, input.fieldNames, input.fieldIDs);
          const offset = parsePageToken(input.pageToken);
          const end = offset + (input.pageSize ?? 100);
          const records = sheet.records.slice(offset, end).map((record) => projectRecord(record, fields));
          return { records, ...(end < sheet.records.length ? { page_token: String(end) } : {}) };
        }),
    ),
  );

  tools.set(
    'kso_dbsheet_create_sheet',
    server.registerTool(
      'kso_dbsheet_create_sheet',
      {
        description:
          '在多维表格中新建数据表。Create a new sheet in a dbsheet file with the given field names (default one field "名称").',
        inputSchema: {
          ...fileParams,
          sheetName: z.string().describe('新数据表名称 / Name of the new sheet'),
          fieldNames: z.array(z.string()).optional().describe('字段名称列表 / Field names'),
        },
      },
      (input) =>
        runTool(() => {
          const table = fileOf(input);
          if (table.sheets.some((sheet) => sheet.name === input.sheetName)) {
            throw new SandboxToolError(
              TOOL_ERROR_CODES.invalidParams,
              'a sheet with this name exists / 数据表名称已存在',
            );
          }
          const names = input.fieldNames?.length ? [...new Set(input.fieldNames)] : ['名称'];
          const sheet = {
            id: context.store.newSheetId(table),
            name: input.sheetName,
            fields: names.map((name) => ({ id: context.store.newFieldId(), name, type: 'MultiLineText' })),
            records: [],
          };
          table.sheets.push(sheet);
          touch(table, context.clock);
          return { sheet: { id: sheet.id, name: sheet.name, fields: sheet.fields } };
        }),
    ),
  );

  tools.set(
    'kso_dbsheet_create_sheet_records',
    server.registerTool(
      'kso_dbsheet_create_sheet_records',
      {
        description:
          '向数据表添加记录，fields_value 是 JSON 字符串。Add records to a sheet; each fields_value is a JSON STRING of {fieldName: value}.',
        inputSchema: {
          ...fileParams,
          sheetID,
          sheetName,
          records: z
            .array(z.object({ fields_value: fieldsValue }))
            .min(1)
            .describe('要添加的记录 / Records to add'),
        },
      },
      (input) =>
        runTool(() => {
          const table = fileOf(input);
          const sheet = resolveSheet(table, input, { defaultToFirst: false });
          const values = input.records.map((record) => parseFieldsValue(sheet, record.fields_value));
          const created = values.map((fields) => ({ id: context.store.newRecordId(), fields }));
          sheet.records.push(...created);
          touch(table, context.clock);
          return { records: created.map((record) => projectRecord(record, sheet.fields)) };
        }),
    ),
  );

  tools.set(
    'kso_dbsheet_update_sheet_records',
    server.registerTool(
      'kso_dbsheet_update_sheet_records',
      {
        description:
          '更新数据表中的记录（只改 fields_value 中给出的字段）。Update records by id; only the fields present in fields_value (a JSON STRING) change.',
        inputSchema: {
          ...fileParams,
          sheetID,
          sheetName,
          records: z
            .array(z.object({ id: z.string().describe('记录 ID / Record id'), fields_value: fieldsValue }))
            .min(1)
            .describe('要更新的记录 / Records to update'),
        },
      },
      (input) =>
        runTool(() => {
          const table = fileOf(input);
          const sheet = resolveSheet(table, input, { defaultToFirst: false });
          // Validate everything first so a bad record leaves the sheet untouched.
          const updates = input.records.map((update) => {
            const record = sheet.records.find((candidate) => candidate.id === update.id);
            if (!record) {
              throw new SandboxToolError(
                TOOL_ERROR_CODES.recordNotFound,
                `record ${update.id} not found / 记录不存在`,
              );
            }
            return { record, fields: parseFieldsValue(sheet, update.fields_value) };
          });
          for (const { record, fields } of updates) Object.assign(record.fields, fields);
          touch(table, context.clock);
          return { records: updates.map(({ record }) => projectRecord(record, sheet.fields)) };
        }),
    ),
  );

  tools.set(
    'kso_dbsheet_update_sheet',
    server.registerTool(
      'kso_dbsheet_update_sheet',
      {
        description: '重命名数据表。Rename a sheet.',
        inputSchema: {
          ...fileParams,
          sheetID,
          sheetName,
          newSheetName: z.string().min(1).describe('新的数据表名称 / New sheet name'),
        },
      },
      (input) =>
        runTool(() => {
          const table = fileOf(input);
          const sheet = resolveSheet(table, input, { defaultToFirst: false });
          sheet.name = input.newSheetName;
          touch(table, context.clock);
          return { sheet: { id: sheet.id, name: sheet.name } };
        }),
    ),
  );

  return tools;
}
