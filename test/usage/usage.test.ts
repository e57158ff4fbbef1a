import { afterEach, describe, expect, it } from 'vitest';
import { type ChatHarness, postChatStream, startChatHarness } from '../support/chat-harness.js';

let harness: ChatHarness;
afterEach(async () => {
  await harness?.close();
});

const usageOf = async (apiKey: string, query = '') => {
  const response = await harness.agent.api(apiKey, 'GET', `/v1/usage${query}`);
  expect(response.status).toBe(200);
  return response.body;
};

const search = { name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } };

describe('model usage per turn and GET /v1/usage', () => {
  it('stores each turn’s usage on its assistant message and sums only the calling user’s turns', async () => {
    harness = await startChatHarness();
    const { agent, model, user: ann } = harness;
    const bob = await agent.createUser('bob');
    expect((await agent.connectWps(bob.apiKey, 'bob')).status).toBe(200);

    model.script(
      { toolCalls: [search], usage: { inputTokens: 100, outputTokens: 10 } },
      { text: 'Found it.', usage: { inputTokens: 200, outputTokens: 20 } },
    );
    const answer = await agent.api(ann.apiKey, 'POST', '/v1/chat', { message: 'Find the Q3 plan' });
    expect(answer.status).toBe(200);
    model.script({ text: 'Hello Bob.', usage: { inputTokens: 5000, outputTokens: 700 } });
    expect((await agent.api(bob.apiKey, 'POST', '/v1/chat', { message: 'Hi' })).status).toBe(200);
    // A direct tool call counts as a tool call, not as a turn.
    expect((await agent.api(bob.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);

    const transcript = await agent.api(ann.apiKey, 'GET', `/v1/conversations/${answer.body.conversationId}`);
    const [question, reply] = transcript.body.messages;
    expect(question.usage).toBeUndefined();
    expect(reply.usage).toEqual({ inputTokens: 300, outputTokens: 30, totalTokens: 330, modelRequests: 2 });

    const annUsage = await usageOf(ann.apiKey);
    expect(annUsage).toEqual({
      since: expect.any(String),
      turns: 1,
      modelRequests: 2,
      inputTokens: 300,
      outputTokens: 30,
      toolCalls: 1,
    });
    // The default window: the last 30 days.
    expect(Date.now() - Date.parse(annUsage.since)).toBeGreaterThanOrEqual(30 * 86_400_000);
    expect(Date.now() - Date.parse(annUsage.since)).toBeLessThan(30 * 86_400_000 + 60_000);
    expect(await usageOf(bob.apiKey)).toMatchObject({
      turns: 1,
      inputTokens: 5000,
      outputTokens: 700,
      toolCalls: 1,
    });
  });

  it('counts from `since` on, a date or a date-time, and refuses anything else with validation_failed', async () => {
    harness = await startChatHarness();
    const { agent, model, user } = harness;
    model.script({ text: 'Hi.', usage: { inputTokens: 7, outputTokens: 3 } });
    expect((await agent.api(user.apiKey, 'POST', '/v1/chat', { message: 'Hi' })).status).toBe(200);

    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    expect(await usageOf(user.apiKey, `?since=${encodeURIComponent(tomorrow)}`)).toEqual({
      since: tomorrow,
      turns: 0,
      modelRequests: 0,
      inputTokens: 0,
      outputTokens: 0,
      toolCalls: 0,
    });
    const dayOnly = await usageOf(user.apiKey, '?since=2020-01-31');
    expect(dayOnly).toMatchObject({ since: '2020-01-31T00:00:00.000Z', turns: 1, inputTokens: 7 });
    const withOffset = await usageOf(
      user.apiKey,
      `?since=${encodeURIComponent('2020-01-31T08:00:00+08:00')}`,
    );
    expect(withOffset.since).toBe('2020-01-31T00:00:00.000Z');

    for (const bad of ['yesterday', '2020-13-01', '2020-01-31T25:00:00Z', '1700000000000', '']) {
      const response = await agent.api(user.apiKey, 'GET', `/v1/usage?since=${encodeURIComponent(bad)}`);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
    }
    const twice = await agent.api(user.apiKey, 'GET', '/v1/usage?since=2020-01-01&since=2021-01-01');
    expect(twice.status).toBe(400);
  });

  it('adds a paused turn’s continuation to the same message’s usage', async () => {
    harness = await startChatHarness();
    const { agent, model, user } = harness;
    const document = agent.sandbox.documents('alice').find((item) => item.name.startsWith('Q3'));
    model.script(
      {
        toolCalls: [
          {
            name: 'kso_airpage_import_markdown_data',
            arguments: { file_id: document?.id, markdown_content: `${document?.markdown}\n\n## Risks\n` },
          },
        ],
        usage: { inputTokens: 50, outputTokens: 5 },
      },
      { text: 'Added.', usage: { inputTokens: 60, outputTokens: 6 } },
    );
    const paused = await agent.api(user.apiKey, 'POST', '/v1/chat', { message: 'Add risks' });
    expect(paused.body.status).toBe('awaiting_approval');
    expect(await usageOf(user.apiKey)).toMatchObject({
      turns: 1,
      modelRequests: 1,
      inputTokens: 50,
      toolCalls: 0,
    });

    const approved = await agent.api(user.apiKey, 'POST', '/v1/chat', {
      conversationId: paused.body.conversationId,
      approvals: [{ id: paused.body.approvals[0].id, approved: true }],
    });
    expect(approved.body.status).toBe('complete');
    const transcript = await agent.api(user.apiKey, 'GET', `/v1/conversations/${paused.body.conversationId}`);
    expect(transcript.body.messages.at(-1).usage).toEqual({
      inputTokens: 110,
      outputTokens: 11,
      totalTokens: 121,
      modelRequests: 2,
    });
    expect(await usageOf(user.apiKey)).toMatchObject({
      turns: 1,
      modelRequests: 2,
      inputTokens: 110,
      toolCalls: 1,
    });
  });

  it('records the usage of a streamed turn as well', async () => {
    harness = await startChatHarness();
    harness.model.script(
      { toolCalls: [search], usage: { inputTokens: 40, outputTokens: 4 } },
      { text: 'Streamed.', usage: { inputTokens: 80, outputTokens: 8 } },
    );
    const response = await postChatStream(harness, { message: 'Find Q3, streaming' });
    expect(response.status).toBe(200);
    await response.text();
    const conversationId = response.headers.get('x-conversation-id');
    const transcript = await harness.agent.api(
      harness.user.apiKey,
      'GET',
      `/v1/conversations/${conversationId}`,
    );
    expect(transcript.body.messages.at(-1).usage).toEqual({
      inputTokens: 120,
      outputTokens: 12,
      totalTokens: 132,
      modelRequests: 2,
    });
  });

  it('needs an API key', async () => {
    harness = await startChatHarness({ connect: false });
    const response = await fetch(`${harness.agent.url}/v1/usage`);
    expect(response.status).toBe(401);
  });
});
