import { afterEach, describe, expect, it } from 'vitest';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';

let harness: AgentHarness;
let started = false;
afterEach(async () => {
  if (started) await harness.close();
  started = false;
});

async function connected(account = 'alice') {
  if (!started) harness = await startAgentHarness();
  started = true;
  const user = await harness.createUser(`user-of-${account}`);
  expect((await harness.connectWps(user.apiKey, account)).status).toBe(200);
  return user;
}

const call = (apiKey: string, name: string, args: Record<string, unknown>) =>
  harness.api(apiKey, 'POST', '/v1/tools/call', { name, arguments: args });

const q3Plan = () => {
  const document = harness.sandbox.documents('alice').find((candidate) => candidate.name.startsWith('Q3'));
  if (!document) throw new Error('no Q3 plan in the sandbox');
  return document;
};

const candidates = () => {
  const sheet = harness.sandbox.tables('alice')[0]?.sheets[0];
  if (!sheet) throw new Error('no sheet in the sandbox');
  return sheet;
};

const overwrite = (apiKey: string, fileId: string, markdown: string) =>
  call(apiKey, 'kso_airpage_import_markdown_data', { file_id: fileId, markdown_content: markdown });

describe('reverting a document overwrite', () => {
  it('puts the Markdown back exactly, as a recorded revert call that can itself be reverted', async () => {
    const user = await connected();
    const original = q3Plan();
    const edited = await overwrite(user.apiKey, original.id, '# Q3 Plan\n\nEverything else was dropped.\n');
    expect(edited.status).toBe(200);
    expect(q3Plan().markdown).toBe('# Q3 Plan\n\nEverything else was dropped.\n');

    const listed = await harness.api(
      user.apiKey,
      'GET',
      '/v1/tool-calls?name=kso_airpage_import_markdown_data',
    );
    expect(listed.body.toolCalls[0]).toMatchObject({ id: edited.body.toolCallId, revertible: true });

    const reverted = await harness.api(
      user.apiKey,
      'POST',
      `/v1/tool-calls/${edited.body.toolCallId}/revert`,
      {},
    );
    expect(reverted.status).toBe(200);
    expect(q3Plan().markdown).toBe(original.markdown);
    const revertCall = (await harness.api(user.apiKey, 'GET', '/v1/tool-calls?source=revert')).body
      .toolCalls[0];
    expect(revertCall).toMatchObject({
      id: reverted.body.toolCallId,
      source: 'revert',
      status: 'ok',
      revertOf: edited.body.toolCallId,
      revertible: true,
    });

    const again = await harness.api(
      user.apiKey,
      'POST',
      `/v1/tool-calls/${reverted.body.toolCallId}/revert`,
      {},
    );
    expect(again.status).toBe(200);
    expect(q3Plan().markdown).toBe('# Q3 Plan\n\nEverything else was dropped.\n');
  });

  it('refuses with edit_conflict after a later edit, and reverts anyway with force', async () => {
    const user = await connected();
    const original = q3Plan();
    const first = await overwrite(user.apiKey, original.id, '# Q3 Plan\n\nFirst edit.\n');
    await overwrite(user.apiKey, original.id, '# Q3 Plan\n\nSomeone edited it again.\n');

    const refused = await harness.api(
      user.apiKey,
      'POST',
      `/v1/tool-calls/${first.body.toolCallId}/revert`,
      {},
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('edit_conflict');
    expect(q3Plan().markdown).toBe('# Q3 Plan\n\nSomeone edited it again.\n');

    const forced = await harness.api(user.apiKey, 'POST', `/v1/tool-calls/${first.body.toolCallId}/revert`, {
      force: true,
    });
    expect(forced.status).toBe(200);
    expect(q3Plan().markdown).toBe(original.markdown);
  });

  it('keeps the before-state sealed in the database, never as readable Markdown', async () => {
    const user = await connected();
    const original = q3Plan();
    await overwrite(user.apiKey, original.id, '# Q3 Plan\n\nShort.\n');
    const rows = harness.db.$client
      .prepare('select snapshot from tool_calls where snapshot is not null')
      .all() as Array<{
      snapshot: string;
    }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]?.snapshot.startsWith('v2.')).toBe(true);
    const firstLine = original.markdown.split('\n')[0] ?? '';
    expect(rows[0]?.snapshot).not.toContain(firstLine);
  });
});

describe('reverting a records update', () => {
  it('restores the fields the call wrote, field by field, leaving other later changes alone', async () => {
    const user = await connected();
    const table = harness.sandbox.tables('alice')[0]!;
    const before = candidates().records[0]!;
    const sheet = { fileID: table.id, sheetName: 'Candidates' };
    const update = await call(user.apiKey, 'kso_dbsheet_update_sheet_records', {
      ...sheet,
      records: [
        { id: before.id, fields_value: JSON.stringify({ Stage: 'Hired', 'Start date': '2026-12-01' }) },
      ],
    });
    expect(update.status).toBe(200);
    // A later change to another field of the same record is not a conflict and must survive the revert.
    await call(user.apiKey, 'kso_dbsheet_update_sheet_records', {
      ...sheet,
      records: [{ id: before.id, fields_value: JSON.stringify({ Role: 'Staff Engineer' }) }],
    });

    const reverted = await harness.api(
      user.apiKey,
      'POST',
      `/v1/tool-calls/${update.body.toolCallId}/revert`,
      {},
    );
    expect(reverted.status).toBe(200);
    const after = candidates().records.find((record) => record.id === before.id)!;
    expect(after.fields).toEqual({ ...before.fields, Role: 'Staff Engineer' });

    // Once the restored fields change again, the revert would overwrite that: refused.
    await call(user.apiKey, 'kso_dbsheet_update_sheet_records', {
      ...sheet,
      records: [{ id: before.id, fields_value: JSON.stringify({ Stage: 'Rejected' }) }],
    });
    const conflict = await harness.api(
      user.apiKey,
      'POST',
      `/v1/tool-calls/${update.body.toolCallId}/revert`,
      {},
    );
    expect(conflict.body.error.code).toBe('edit_conflict');
  });
});

describe('what cannot be reverted', () => {
  it('answers not_revertible for reads and creates, and not_found for another user’s call', async () => {
    const user = await connected();
    const read = await call(user.apiKey, 'kso_yundoc_search_yundoc', { keyword: 'Q3' });
    const created = await call(user.apiKey, 'kso_airpage_import_markdown_data', {
      markdown_content: '# New\n',
    });
    for (const id of [read.body.toolCallId, created.body.toolCallId]) {
      const answer = await harness.api(user.apiKey, 'POST', `/v1/tool-calls/${id}/revert`, {});
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('not_revertible');
    }
    const listed = (await harness.api(user.apiKey, 'GET', '/v1/tool-calls')).body.toolCalls;
    expect(listed.find((row: any) => row.id === read.body.toolCallId).revertible).toBeUndefined();
    expect(listed.find((row: any) => row.id === created.body.toolCallId).revertible).toBe(false);

    const edit = await overwrite(user.apiKey, q3Plan().id, '# Mine\n');
    const other = await connected('bob');
    const stranger = await harness.api(
      other.apiKey,
      'POST',
      `/v1/tool-calls/${edit.body.toolCallId}/revert`,
      {},
    );
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.code).toBe('not_found');
  });
});
