import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWpsSandbox, type WpsSandbox } from '../../src/sandbox/index.js';
import { connectClient, type TransportKind, toolJson } from './sandbox-test-helpers.js';

const EXPECTED_TOOLS = {
  'kso-yundoc': [
    'kso_yundoc_search_yundoc',
    'kso_yundoc_get_file_meta',
    'kso_yundoc_extract_yundoc_content',
    'kso_yundoc_extract_yundoc_comment',
  ],
  'kso-airpage': ['kso_airpage_import_markdown_data'],
  'kso-dbsheet': [
    'kso_dbsheet_get_file_schema',
    'kso_dbsheet_list_sheet_records',
    'kso_dbsheet_create_sheet',
    'kso_dbsheet_create_sheet_records',
    'kso_dbsheet_update_sheet_records',
    'kso_dbsheet_update_sheet',
  ],
};

describe.each(['streamable', 'sse'] as const)('tools over %s', (kind: TransportKind) => {
  let sandbox: WpsSandbox;
  let clients: Record<'yundoc' | 'airpage' | 'dbsheet', Client>;

  beforeEach(async () => {
    sandbox = await createWpsSandbox();
    const { access_token } = sandbox.issueTokens('alice');
    clients = {
      yundoc: (await connectClient(sandbox, 'kso-yundoc', access_token, kind)).client,
      airpage: (await connectClient(sandbox, 'kso-airpage', access_token, kind)).client,
      dbsheet: (await connectClient(sandbox, 'kso-dbsheet', access_token, kind)).client,
    };
  });
  afterEach(async () => {
    await Promise.all(Object.values(clients).map((client) => client.close()));
    await sandbox.close();
  });

  const call = async (client: Client, name: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name, arguments: args });
    return { isError: result.isError === true, json: toolJson(result) };
  };

  it('lists exactly the WPS tool names, each parameter described', async () => {
    for (const [server, client] of [
      ['kso-yundoc', clients.yundoc],
      ['kso-airpage', clients.airpage],
      ['kso-dbsheet', clients.dbsheet],
    ] as const) {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual([...EXPECTED_TOOLS[server]].sort());
      for (const tool of tools) {
        expect(tool.description).toMatch(/[\u4e00-\u9fff]/);
        for (const property of Object.values(tool.inputSchema.properties ?? {})) {
          expect((property as { description?: string }).description).toBeTruthy();
        }
      }
    }
    expect(sandbox.requestCounts().mcp['kso-yundoc']).toMatchObject({ initialize: 1, 'tools/list': 1 });
  });

  it('search → extract → import with file_id → extract shows the new content', async () => {
    const search = await call(clients.yundoc, 'kso_yundoc_search_yundoc', {
      keyword: 'q3 plan',
      type: 'otl',
    });
    expect(search.json.items).toHaveLength(1);
    const file = search.json.items[0].file;
    expect(file).toMatchObject({ name: 'Q3 计划 Q3 Plan.otl', type: 'otl', version: 3 });

    const meta = await call(clients.yundoc, 'kso_yundoc_get_file_meta', {
      file_url: file.link_url,
      with_drive: true,
    });
    expect(meta.json.file.id).toBe(file.id);
    expect(meta.json.drive.id).toBe(file.drive_id);

    const before = await call(clients.yundoc, 'kso_yundoc_extract_yundoc_content', {
      drive_id: file.drive_id,
      file_id: file.id,
    });
    expect(before.json).toMatchObject({ dst_format: 'markdown', src_format: 'otl', version: 3 });
    expect(before.json.markdown).toContain('| 月份 Month |');

    const comments = await call(clients.yundoc, 'kso_yundoc_extract_yundoc_comment', {
      drive_id: file.drive_id,
      file_id: file.id,
    });
    expect(comments.json.doc.comments[0]).toMatchObject({
      author: 'Bob',
      blocks: [{ para: { runs: [{ text: expect.any(String) }] } }],
    });

    const edited = `${before.json.markdown}\n## 新增 Added\n- 预算复核 / Budget review\n`;
    const imported = await call(clients.airpage, 'kso_airpage_import_markdown_data', {
      file_id: file.id,
      markdown_content: edited,
    });
    expect(imported.json).toMatchObject({ file_id: file.id, file_name: file.name, version: 4 });

    const after = await call(clients.yundoc, 'kso_yundoc_extract_yundoc_content', {
      drive_id: file.drive_id,
      file_id: file.id,
    });
    expect(after.json).toMatchObject({ markdown: edited, version: 4 });
    expect(sandbox.documents('alice').find((document) => document.id === file.id)?.markdown).toBe(edited);
  });

  it('creates a new smart document titled from the first heading', async () => {
    const created = await call(clients.airpage, 'kso_airpage_import_markdown_data', {
      markdown_content: '# 周会纪要 Weekly Sync\n\n- item\n',
    });
    expect(created.json).toMatchObject({ file_name: '周会纪要 Weekly Sync.otl', version: 1 });
    const search = await call(clients.yundoc, 'kso_yundoc_search_yundoc', { keyword: 'weekly sync' });
    expect(search.json.items[0].file.id).toBe(created.json.file_id);
  });

  it('answers WPS-style errors as isError results', async () => {
    const budget = (
      await call(clients.yundoc, 'kso_yundoc_search_yundoc', { keyword: 'budget', type: 'ksheet' })
    ).json.items[0].file;
    const extract = await call(clients.yundoc, 'kso_yundoc_extract_yundoc_content', {
      drive_id: budget.drive_id,
      file_id: budget.id,
    });
    expect(extract).toMatchObject({ isError: true, json: { code: 400008018 } });
    const missing = await call(clients.yundoc, 'kso_yundoc_get_file_meta', {});
    expect(missing).toMatchObject({ isError: true, json: { code: 400000001 } });
    const unknown = await call(clients.yundoc, 'kso_yundoc_get_file_meta', { file_id: '999' });
    expect(unknown).toMatchObject({ isError: true, json: { code: 404000001, msg: expect.any(String) } });
    const overwriteDocx = await call(clients.airpage, 'kso_airpage_import_markdown_data', {
      file_id: sandbox.documents('alice').find((document) => document.type === 'docx')?.id,
      markdown_content: '# x',
    });
    expect(overwriteDocx).toMatchObject({ isError: true, json: { code: 400000002 } });
  });

  it('reads and edits a multi-dimensional table', async () => {
    const schema = (await call(clients.dbsheet, 'kso_dbsheet_get_file_schema', { keyword: 'hiring' })).json;
    expect(schema.sheets[0]).toMatchObject({ id: 1, name: 'Candidates', record_count: 3 });
    expect(schema.sheets[0].fields.map((field: { name: string }) => field.name)).toEqual([
      'Name',
      'Role',
      'Stage',
      'Start date',
    ]);
    const fileID = schema.file_id;

    const page = (
      await call(clients.dbsheet, 'kso_dbsheet_list_sheet_records', {
        fileID,
        sheetID: 1,
        pageSize: 2,
        fieldNames: ['Name', 'Stage'],
      })
    ).json;
    expect(page.records).toHaveLength(2);
    expect(Object.keys(page.records[0].fields)).toEqual(['Name', 'Stage']);
    const rest = (
      await call(clients.dbsheet, 'kso_dbsheet_list_sheet_records', {
        fileID,
        sheetName: 'Candidates',
        pageToken: page.page_token,
      })
    ).json;
    expect(rest.records).toHaveLength(1);
    expect(rest.page_token).toBeUndefined();

    const created = await call(clients.dbsheet, 'kso_dbsheet_create_sheet_records', {
      fileID,
      sheetID: '1',
      records: [{ fields_value: JSON.stringify({ Name: 'Zoe', Role: 'PM', Stage: 'Screening' }) }],
    });
    const recordId = created.json.records[0].id;
    const updated = await call(clients.dbsheet, 'kso_dbsheet_update_sheet_records', {
      fileID,
      sheetID: 1,
      records: [{ id: recordId, fields_value: JSON.stringify({ Stage: 'Offer' }) }],
    });
    expect(updated.json.records[0].fields).toMatchObject({ Name: 'Zoe', Stage: 'Offer' });
    const badField = await call(clients.dbsheet, 'kso_dbsheet_create_sheet_records', {
      fileID,
      sheetID: 1,
      records: [{ fields_value: JSON.stringify({ Salary: 1 }) }],
    });
    expect(badField).toMatchObject({ isError: true, json: { code: 400000003 } });
    const notJson = await call(clients.dbsheet, 'kso_dbsheet_create_sheet_records', {
      fileID,
      sheetID: 1,
      records: [{ fields_value: '{oops' }],
    });
    expect(notJson).toMatchObject({ isError: true, json: { code: 400000001 } });

    const sheet = (
      await call(clients.dbsheet, 'kso_dbsheet_create_sheet', {
        fileID,
        sheetName: 'Interviews',
        fieldNames: ['Candidate', 'When'],
      })
    ).json.sheet;
    expect(sheet).toMatchObject({ id: 2, name: 'Interviews' });
    const renamed = await call(clients.dbsheet, 'kso_dbsheet_update_sheet', {
      fileID,
      sheetID: sheet.id,
      newSheetName: '面试 Interviews',
    });
    expect(renamed.json.sheet.name).toBe('面试 Interviews');

    const table = sandbox.tables('alice')[0];
    expect(table?.sheets.map((candidate) => candidate.name)).toEqual(['Candidates', '面试 Interviews']);
    expect(table?.sheets[0]?.records.find((record) => record.id === recordId)?.fields.Stage).toBe('Offer');
  });
});
