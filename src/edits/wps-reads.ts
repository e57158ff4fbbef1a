import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { McpConnectionPool } from '../mcp/connection-pool.js';

/** Which dbsheet sheet a call names: WPS's own parameter names. */
export interface SheetReference {
  fileID?: string;
  fileURL?: string;
  sheetID?: string | number;
  sheetName?: string;
}

export interface RecordValues {
  id: string;
  fields: Record<string, unknown>;
}

/** Pages of records read at most while looking for the ones a call touches. */
const MAX_RECORD_PAGES = 50;

// WPS's answers are loosely specified JSON: fields are checked where they are read.
// biome-ignore lint/suspicious/noExplicitAny: see above.
type WpsData = Record<string, any>;

/** The JSON a WPS tool answered with; some WPS answers wrap it in `{code, data}`. */
function resultData(result: CallToolResult, what: string): WpsData {
  const text = (result.content ?? []).find((part) => part.type === 'text');
  if (result.isError || !text || text.type !== 'text')
    throw new Error(
      `WPS could not ${what}: ${text && text.type === 'text' ? text.text.slice(0, 300) : 'no answer'}`,
    );
  const parsed = JSON.parse(text.text) as WpsData;
  return parsed.data && typeof parsed.data === 'object' && !Array.isArray(parsed.data) ? parsed.data : parsed;
}

/**
 * The reads safe edits need, through the user's own WPS tools (not recorded as tool calls: they are the
 * agent's bookkeeping, not the model's actions).
 */
export function createWpsReads(options: { pool: McpConnectionPool }) {
  const call = async (userId: string, server: string, name: string, args: Record<string, unknown>) =>
    options.pool.callTool({ userId, server, name, arguments: args });

  return {
    /** A document's current Markdown: its drive from the file meta, then its content extracted. */
    async documentMarkdown(userId: string, fileId: string): Promise<{ driveId: string; markdown: string }> {
      const meta = resultData(
        await call(userId, 'kso-yundoc', 'kso_yundoc_get_file_meta', { file_id: fileId, with_drive: true }),
        'read the file meta',
      );
      const driveId = String(meta.file?.drive_id ?? meta.drive?.id ?? '');
      if (!driveId) throw new Error('WPS did not say which drive the document is in.');
      const content = resultData(
        await call(userId, 'kso-yundoc', 'kso_yundoc_extract_yundoc_content', {
          drive_id: driveId,
          file_id: fileId,
        }),
        'read the document',
      );
      if (typeof content.markdown !== 'string') throw new Error('WPS returned no Markdown for the document.');
      return { driveId, markdown: content.markdown };
    },

    /** The current values of `fieldNames` in the records `ids` (a record not found is left out). */
    async recordValues(
      userId: string,
      sheet: SheetReference,
      ids: string[],
      fieldNames: string[],
    ): Promise<RecordValues[]> {
      const wanted = new Set(ids);
      const found = new Map<string, RecordValues>();
      let pageToken: string | undefined;
      for (let page = 0; page < MAX_RECORD_PAGES && found.size < wanted.size; page++) {
        const data = resultData(
          await call(userId, 'kso-dbsheet', 'kso_dbsheet_list_sheet_records', {
            ...sheet,
            fieldNames,
            pageSize: 1000,
            ...(pageToken ? { pageToken } : {}),
          }),
          'list the records',
        );
        for (const record of (data.records ?? []) as Array<{
          id: unknown;
          fields?: Record<string, unknown>;
        }>) {
          const id = String(record.id);
          if (!wanted.has(id)) continue;
          const fields = Object.fromEntries(fieldNames.map((name) => [name, record.fields?.[name] ?? '']));
          found.set(id, { id, fields });
        }
        pageToken = typeof data.page_token === 'string' && data.page_token ? data.page_token : undefined;
        if (!pageToken) break;
      }
      return ids.flatMap((id) => found.get(id) ?? []);
    },
  };
}

export type WpsReads = ReturnType<typeof createWpsReads>;
