import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/shared/clock.js';
import { type ChatHarness, startChatHarness } from '../support/chat-harness.js';
import { lastToolResults, type ScriptedStep } from '../support/scripted-model/index.js';

let harness: ChatHarness;
afterEach(async () => {
  await harness?.close();
});

const q3Plan = () => {
  const document = harness.agent.sandbox
    .documents('alice')
    .find((candidate) => candidate.name.startsWith('Q3'));
  if (!document) throw new Error('no Q3 plan in the sandbox');
  return document;
};

const RISKS = '## Risks\n\n- Hiring may slip.\n';

/** The model overwrites the Q3 plan with a Risks section appended, then (after the answer) reports back. */
function appendRisksScript(): ScriptedStep[] {
  const document = q3Plan();
  return [
    {
      text: 'I will add the section now.',
      toolCalls: [
        {
          name: 'kso_airpage_import_markdown_data',
          arguments: { file_id: document.id, markdown_content: `${document.markdown.trimEnd()}\n\n${RISKS}` },
        },
      ],
    },
  ];
}

const chat = (body: unknown, apiKey = harness.user.apiKey) =>
  harness.agent.api(apiKey, 'POST', '/v1/chat', body);

describe('a write the model asks for', () => {
  it('pauses with a diff and leaves the document unchanged; approving runs it exactly once', async () => {
    harness = await startChatHarness();
    const before = q3Plan().markdown;
    harness.model.script(...appendRisksScript());

    const paused = await chat({ message: 'Add a risks section to the Q3 plan' });
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('awaiting_approval');
    expect(paused.body.approvals).toHaveLength(1);
    const [approval] = paused.body.approvals;
    expect(approval).toMatchObject({
      name: 'kso_airpage_import_markdown_data',
      server: 'kso-airpage',
      arguments: { file_id: q3Plan().id },
      preview: { summary: expect.stringMatching(/adds 4 lines, removes 0; keeps 100% of the text/) },
    });
    expect(approval.preview.diff).toContain('+## Risks');
    expect(new Date(approval.expiresAt).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(q3Plan().markdown).toBe(before);
    const waiting = await harness.agent.api(
      harness.user.apiKey,
      'GET',
      '/v1/tool-calls?status=awaiting_approval',
    );
    expect(waiting.body.toolCalls.map((call: any) => call.id)).toEqual([approval.toolCallId]);

    harness.model.script({ text: 'Added the Risks section.' });
    harness.agent.sandbox.resetCounts();
    const done = await chat({
      conversationId: paused.body.conversationId,
      approvals: [{ id: approval.id, approved: true }],
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'complete', messageId: paused.body.messageId, approvals: [] });
    expect(done.body.text).toBe('I will add the section now.\n\nAdded the Risks section.');
    expect(q3Plan().markdown).toContain('## Risks');
    expect(harness.agent.sandbox.requestCounts().mcp['kso-airpage']?.['tools/call']).toBe(1);
    const call = (
      await harness.agent.api(
        harness.user.apiKey,
        'GET',
        '/v1/tool-calls?name=kso_airpage_import_markdown_data',
      )
    ).body.toolCalls;
    expect(call).toHaveLength(1);
    expect(call[0]).toMatchObject({
      id: approval.toolCallId,
      status: 'ok',
      revertible: true,
      approval: { id: approval.id, decision: 'approved', reason: null },
      change: { summary: expect.stringMatching(/adds 4 lines/) },
    });
    expect(call[0].change.diff).toContain('+## Risks');

    // Sent again: answered already, nothing runs twice.
    const twice = await chat({
      conversationId: paused.body.conversationId,
      approvals: [{ id: approval.id, approved: true }],
    });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('approval_decided');
    expect(harness.agent.sandbox.requestCounts().mcp['kso-airpage']?.['tools/call']).toBe(1);

    // The transcript shows one assistant message holding the whole turn.
    const transcript = await harness.agent.api(
      harness.user.apiKey,
      'GET',
      `/v1/conversations/${paused.body.conversationId}`,
    );
    expect(transcript.body.messages.map((message: any) => message.role)).toEqual(['user', 'assistant']);
  });

  it('denied: the model is told, nothing is written, the call is recorded as denied', async () => {
    harness = await startChatHarness();
    const before = q3Plan().markdown;
    harness.model.script(...appendRisksScript());
    const paused = await chat({ message: 'Add a risks section' });
    let toldModel = '';
    harness.model.script((request) => {
      toldModel = lastToolResults(request)[0]?.content ?? '';
      return { text: 'Understood, I left the plan as it is.' };
    });
    const answer = await chat({
      conversationId: paused.body.conversationId,
      approvals: [{ id: paused.body.approvals[0].id, approved: false, reason: 'Not now' }],
    });
    expect(answer.body.status).toBe('complete');
    expect(toldModel).toMatch(/denied|Not now/i);
    expect(q3Plan().markdown).toBe(before);
    const denied = await harness.agent.api(harness.user.apiKey, 'GET', '/v1/tool-calls?status=denied');
    expect(denied.body.toolCalls).toHaveLength(1);
  });

  it("another user's approval id is not found; an expired approval is approval_expired", async () => {
    const clock = createManualClock(Date.now());
    harness = await startChatHarness({ clock, env: { APPROVAL_TTL_SECONDS: '60' } });
    harness.model.script(...appendRisksScript());
    const paused = await chat({ message: 'Add a risks section' });
    const other = await harness.agent.createUser('mallory');
    const stranger = await chat(
      {
        conversationId: paused.body.conversationId,
        approvals: [{ id: paused.body.approvals[0].id, approved: true }],
      },
      other.apiKey,
    );
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.code).toBe('not_found');

    clock.advance(61_000);
    const late = await chat({
      conversationId: paused.body.conversationId,
      approvals: [{ id: paused.body.approvals[0].id, approved: true }],
    });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('approval_expired');
  });

  it('a document changed after the preview: no write, and the model call asks a fresh approval', async () => {
    harness = await startChatHarness();
    harness.model.script(...appendRisksScript());
    const paused = await chat({ message: 'Add a risks section' });
    // Someone edits the document while the approval waits.
    await harness.agent.api(harness.user.apiKey, 'POST', '/v1/tools/call', {
      name: 'kso_airpage_import_markdown_data',
      arguments: { file_id: q3Plan().id, markdown_content: '# Q3 Plan\n\nRewritten by a colleague.\n' },
    });
    let toldModel = '';
    harness.model.script((request) => {
      toldModel = lastToolResults(request)[0]?.content ?? '';
      return {
        toolCalls: [
          {
            name: 'kso_airpage_import_markdown_data',
            arguments: {
              file_id: q3Plan().id,
              markdown_content: `# Q3 Plan\n\nRewritten by a colleague.\n\n${RISKS}`,
            },
          },
        ],
      };
    });
    const answer = await chat({
      conversationId: paused.body.conversationId,
      approvals: [{ id: paused.body.approvals[0].id, approved: true }],
    });
    expect(toldModel).toMatch(/changed after the user saw the preview/);
    expect(q3Plan().markdown).toBe('# Q3 Plan\n\nRewritten by a colleague.\n');
    expect(answer.body.status).toBe('awaiting_approval');
    expect(answer.body.approvals[0].preview.summary).toMatch(/adds 4 lines, removes 0/);
    expect(answer.body.approvals[0].id).not.toBe(paused.body.approvals[0].id);
  });

  it('read tools never wait; TOOL_APPROVAL=never writes at once and still keeps a before-state', async () => {
    harness = await startChatHarness({ env: { TOOL_APPROVAL: 'never' } });
    harness.model.script(
      { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }] },
      ...appendRisksScript(),
      { text: 'Done.' },
    );
    const reply = await chat({ message: 'Add a risks section' });
    expect(reply.body.status).toBe('complete');
    expect(q3Plan().markdown).toContain('## Risks');
    const write = reply.body.toolCalls.find((call: any) => call.name === 'kso_airpage_import_markdown_data');
    const reverted = await harness.agent.api(
      harness.user.apiKey,
      'POST',
      `/v1/tool-calls/${write.id}/revert`,
      {},
    );
    expect(reverted.status).toBe(200);
    expect(q3Plan().markdown).not.toContain('## Risks');
  });

  it('several writes in one step are answered one by one; the turn continues when all are answered', async () => {
    harness = await startChatHarness();
    const table = harness.agent.sandbox.tables('alice')[0]!;
    const [first, second] = table.sheets[0]!.records;
    const update = (id: string, stage: string) => ({
      name: 'kso_dbsheet_update_sheet_records',
      arguments: {
        fileID: table.id,
        sheetName: 'Candidates',
        records: [{ id, fields_value: JSON.stringify({ Stage: stage }) }],
      },
    });
    harness.model.script({ toolCalls: [update(first!.id, 'Hired'), update(second!.id, 'Rejected')] });
    const paused = await chat({ message: 'Hire the first, reject the second' });
    expect(paused.body.approvals).toHaveLength(2);
    expect(paused.body.approvals[0].preview).toMatchObject({
      records: [{ id: first!.id, before: { Stage: 'Interview' }, after: { Stage: 'Hired' } }],
    });

    const one = await chat({
      conversationId: paused.body.conversationId,
      approvals: [{ id: paused.body.approvals[0].id, approved: true }],
    });
    expect(one.body.status).toBe('awaiting_approval');
    expect(one.body.approvals.map((approval: any) => approval.id)).toEqual([paused.body.approvals[1].id]);
    expect(harness.agent.sandbox.tables('alice')[0]!.sheets[0]!.records[0]!.fields.Stage).toBe('Interview');

    harness.model.script({ text: 'Hired the first; you kept the second.' });
    const two = await chat({
      conversationId: paused.body.conversationId,
      approvals: [{ id: paused.body.approvals[1].id, approved: false }],
    });
    expect(two.body.status).toBe('complete');
    const records = harness.agent.sandbox.tables('alice')[0]!.sheets[0]!.records;
    expect(records[0]!.fields.Stage).toBe('Hired');
    expect(records[1]!.fields.Stage).toBe(second!.fields.Stage);
  });

  it('a new message instead of an answer closes the waiting turn; the conversation goes on', async () => {
    harness = await startChatHarness();
    const before = q3Plan().markdown;
    harness.model.script(...appendRisksScript());
    const paused = await chat({ message: 'Add a risks section' });
    harness.model.script({ text: 'Sure, leaving it.' });
    const next = await chat({ conversationId: paused.body.conversationId, message: 'Never mind' });
    expect(next.status).toBe(200);
    expect(next.body.status).toBe('complete');
    expect(q3Plan().markdown).toBe(before);
    const late = await chat({
      conversationId: paused.body.conversationId,
      approvals: [{ id: paused.body.approvals[0].id, approved: true }],
    });
    expect(late.body.error.code).toBe('approval_decided');
  });

  it('TOOL_APPROVAL=all makes read tools wait too', async () => {
    harness = await startChatHarness({ env: { TOOL_APPROVAL: 'all' } });
    harness.model.script({ toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }] });
    const paused = await chat({ message: 'Find the Q3 plan' });
    expect(paused.body.status).toBe('awaiting_approval');
    expect(paused.body.approvals[0]).toMatchObject({ name: 'kso_yundoc_search_yundoc' });
  });
});
