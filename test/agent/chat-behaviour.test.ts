import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChatHarness, postChatStream, startChatHarness } from '../support/chat-harness.js';
import { lastToolResults } from '../support/scripted-model/index.js';

let harness: ChatHarness;
afterEach(async () => {
  await harness?.close();
});

const chat = (message: string, conversationId?: string) =>
  harness.agent.api(harness.user.apiKey, 'POST', '/v1/chat', {
    message,
    ...(conversationId ? { conversationId } : {}),
  });
const search = { name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } };
const chatRequests = () =>
  harness.model.requests.filter((request) => request.path.endsWith('/chat/completions'));

describe('before any model call', () => {
  it('a user who has not connected WPS gets 409 with an authorize URL, and the model is not called', async () => {
    harness = await startChatHarness({ connect: false });
    const answer = await chat('Summarise the Q3 plan');
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('wps_authorization_required');
    expect(answer.body.error.authorizeUrl).toContain('state=');
    expect(chatRequests()).toHaveLength(0);
  });

  it('rejects an empty message and an unknown conversation', async () => {
    harness = await startChatHarness();
    expect((await chat('   ')).body.error.code).toBe('validation_failed');
    const unknown = await chat('hello', 'conv_nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });
});

describe('tool errors go back to the model', () => {
  it('invalid arguments come back as a tool error the model can correct', async () => {
    harness = await startChatHarness();
    harness.model.script(
      { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { page_size: 5 } }] },
      search && { toolCalls: [search] },
      { text: 'Found it.' },
    );
    const answer = await chat('Find the Q3 plan');
    expect(answer.status).toBe(200);
    expect(answer.body.toolCalls.map((call: any) => call.status)).toEqual(['error', 'ok']);
    const feedback = lastToolResults(chatRequests()[1]!)[0]?.content ?? '';
    expect(feedback).toContain('keyword is required');
    // The invalid call never reached WPS.
    expect(harness.agent.sandbox.requestCounts().mcp['kso-yundoc']?.['tools/call']).toBe(1);
  });

  it('a WPS tool error (isError) reaches the model as an error result', async () => {
    harness = await startChatHarness();
    harness.model.script(
      { toolCalls: [{ name: 'kso_yundoc_get_file_meta', arguments: { file_id: 'missing' } }] },
      { text: 'That file does not exist.' },
    );
    const answer = await chat('Show me file missing');
    expect(answer.body.toolCalls[0]).toMatchObject({ isError: true, status: 'error' });
    expect(lastToolResults(chatRequests()[1]!)[0]?.content).toContain('404000001');
  });

  it('truncates large results for the model but stores them whole', async () => {
    harness = await startChatHarness({ env: { TOOL_OUTPUT_BUDGET_CHARS: '300' } });
    harness.model.script({ toolCalls: [search] }, { text: 'ok' });
    const answer = await chat('Find Q3');
    const stored = answer.body.toolCalls[0].result.content[0].text as string;
    expect(stored.length).toBeGreaterThan(300);
    const sent = lastToolResults(chatRequests()[1]!)[0]?.content ?? '';
    expect(sent.length).toBeLessThanOrEqual(300);
    expect(sent).toContain('[… truncated');
    const review = await harness.agent.api(
      harness.user.apiKey,
      'GET',
      `/v1/tool-calls?conversationId=${answer.body.conversationId}`,
    );
    expect(review.body.toolCalls[0].result.content[0].text).toBe(stored);
  });

  it('a tool that times out comes back to the model as an error and is recorded as timeout', async () => {
    harness = await startChatHarness({ env: { MCP_CALL_TIMEOUT_MS: '300' } });
    harness.model.script({ toolCalls: [search] }, { toolCalls: [search] }, { text: 'Done after a retry.' });
    await harness.agent.api(harness.user.apiKey, 'GET', '/v1/tools');
    harness.agent.sandbox.failNext('mcp', 1, 'hang');
    const answer = await chat('Find Q3');
    expect(answer.status).toBe(200);
    expect(answer.body.toolCalls.map((call: any) => call.status)).toEqual(['timeout', 'ok']);
    expect(lastToolResults(chatRequests()[1]!)[0]?.content).toContain('timed out');
  });
});

describe('the loop', () => {
  it('stops at AGENT_MAX_STEPS even if the model keeps calling tools', async () => {
    harness = await startChatHarness({ env: { AGENT_MAX_STEPS: '3' } });
    harness.model.setFallback({ toolCalls: [search] });
    const answer = await chat('Loop forever');
    expect(answer.status).toBe(200);
    expect(chatRequests()).toHaveLength(3);
    expect(answer.body.toolCalls).toHaveLength(3);
  });

  it('retries a model 500 and succeeds', async () => {
    harness = await startChatHarness();
    harness.model.script({ error: { status: 500, retryAfterMs: 0 } }, { text: 'Hello after a hiccup.' });
    const answer = await chat('Hello');
    expect(answer.status).toBe(200);
    expect(answer.body.text).toBe('Hello after a hiccup.');
  });

  it('a model that keeps failing is model_error, and the user message is kept', async () => {
    harness = await startChatHarness();
    harness.model.setFallback({
      error: { status: 503, body: { error: { message: 'overloaded' } }, retryAfterMs: 0 },
    });
    const answer = await chat('Hello?');
    expect(answer.status).toBe(502);
    expect(answer.body.error.code).toBe('model_error');
    expect(answer.body.error.message).toContain('HTTP 503');
    expect(JSON.stringify(answer.body)).not.toContain('sk-test-model-key');
    const list = await harness.agent.api(harness.user.apiKey, 'GET', '/v1/conversations');
    const transcript = await harness.agent.api(
      harness.user.apiKey,
      'GET',
      `/v1/conversations/${list.body.conversations[0].id}`,
    );
    expect(transcript.body.messages[0]).toMatchObject({ role: 'user', text: 'Hello?' });
    expect(transcript.body.messages[1]).toMatchObject({ role: 'assistant', status: 'error' });
  });

  it('a model endpoint that is down is model_error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    harness = await startChatHarness({ env: { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` } });
    const answer = await chat('Hello?');
    expect(answer.status).toBe(502);
    expect(answer.body.error).toMatchObject({ code: 'model_error' });
    expect(answer.body.error.message).toContain('could not be reached');
  });
});

describe('interruptions', () => {
  it('a client that disconnects mid-tool-call aborts the turn, cancels the call, and stores the turn as aborted', async () => {
    harness = await startChatHarness({ env: { MCP_CALL_TIMEOUT_MS: '10000' } });
    harness.model.script({ toolCalls: [search] }, { text: 'never sent' });
    await harness.agent.api(harness.user.apiKey, 'GET', '/v1/tools');
    harness.agent.sandbox.failNext('mcp', 1, 'hang');
    const client = new AbortController();
    const pending = fetch(`${harness.agent.url}/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harness.user.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Find Q3 and wait' }),
      signal: client.signal,
    }).catch(() => undefined);
    await expect
      .poll(
        async () =>
          (await harness.agent.api(harness.user.apiKey, 'GET', '/v1/tool-calls?status=running')).body
            .toolCalls.length,
      )
      .toBe(1);
    client.abort();
    await pending;
    await expect
      .poll(
        async () =>
          (await harness.agent.api(harness.user.apiKey, 'GET', '/v1/tool-calls?status=aborted')).body
            .toolCalls.length,
      )
      .toBe(1);
    const list = await harness.agent.api(harness.user.apiKey, 'GET', '/v1/conversations');
    await expect
      .poll(async () => {
        const transcript = await harness.agent.api(
          harness.user.apiKey,
          'GET',
          `/v1/conversations/${list.body.conversations[0].id}`,
        );
        return transcript.body.messages[1]?.status;
      })
      .toBe('aborted');
    await sleep(100);
    expect(chatRequests()).toHaveLength(1);
  });

  it('authorization lost mid-turn ends the turn with a reply that gives the authorize URL', async () => {
    harness = await startChatHarness();
    harness.model.script(
      (_request) => {
        harness.agent.sandbox.revokeAccount('alice');
        return { toolCalls: [search] };
      },
      { text: 'should not be asked' },
    );
    const answer = await chat('Find Q3');
    expect(answer.status).toBe(200);
    expect(answer.body.text).toContain('Reconnect WPS');
    expect(answer.body.wps).toMatchObject({
      status: 'reauthorization_required',
      authorizeUrl: expect.stringContaining('state='),
    });
    expect(answer.body.text).toContain(answer.body.wps.authorizeUrl);
    expect(chatRequests()).toHaveLength(1);
  });
});

describe('conversations belong to their user', () => {
  it("another user's conversation and tool calls are not_found, never 403", async () => {
    harness = await startChatHarness();
    harness.model.script({ toolCalls: [search] }, { text: 'ok' });
    const mine = await chat('Find Q3');
    const other = await harness.agent.createUser('mallory');
    const api = (method: string, route: string, body?: unknown) =>
      harness.agent.api(other.apiKey, method, route, body);
    expect((await api('GET', `/v1/conversations/${mine.body.conversationId}`)).status).toBe(404);
    expect((await api('GET', `/v1/conversations/${mine.body.conversationId}`)).body.error.code).toBe(
      'not_found',
    );
    expect((await api('DELETE', `/v1/conversations/${mine.body.conversationId}`)).status).toBe(404);
    expect(
      (await api('POST', '/v1/chat', { message: 'hi', conversationId: mine.body.conversationId })).status,
    ).toBe(404);
    expect((await api('GET', '/v1/conversations')).body.conversations).toEqual([]);
    expect(
      (await api('GET', `/v1/tool-calls?conversationId=${mine.body.conversationId}`)).body.toolCalls,
    ).toEqual([]);
    expect((await api('GET', '/v1/tool-calls')).body.toolCalls).toEqual([]);
    // The owner still sees everything, and can delete it.
    expect(
      (
        await harness.agent.api(
          harness.user.apiKey,
          'DELETE',
          `/v1/conversations/${mine.body.conversationId}`,
        )
      ).status,
    ).toBe(204);
    expect(
      (await harness.agent.api(harness.user.apiKey, 'GET', `/v1/conversations/${mine.body.conversationId}`))
        .status,
    ).toBe(404);
  });

  it('lists conversations newest first with cursor pagination', async () => {
    harness = await startChatHarness();
    harness.model.setFallback({ text: 'ok' });
    const ids: string[] = [];
    for (const message of ['one', 'two', 'three']) ids.push((await chat(message)).body.conversationId);
    const first = await harness.agent.api(harness.user.apiKey, 'GET', '/v1/conversations?limit=2');
    expect(first.body.conversations.map((conversation: any) => conversation.title)).toEqual(['three', 'two']);
    expect(first.body.nextCursor).toBeTypeOf('string');
    const second = await harness.agent.api(
      harness.user.apiKey,
      'GET',
      `/v1/conversations?limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.conversations.map((conversation: any) => conversation.title)).toEqual(['one']);
    expect(second.body.nextCursor).toBeNull();
    const bad = await harness.agent.api(harness.user.apiKey, 'GET', '/v1/conversations?cursor=garbage');
    expect(bad.body.error.code).toBe('validation_failed');
  });
});

describe('time limits', () => {
  it('a model that never answers ends the turn after AGENT_TURN_TIMEOUT_MS as model_error, message kept', async () => {
    harness = await startChatHarness({ env: { AGENT_TURN_TIMEOUT_MS: '1000' } });
    harness.model.script({ hang: true });
    const answer = await chat('Are you there?');
    expect(answer.status).toBe(502);
    expect(answer.body.error.code).toBe('model_error');
    expect(answer.body.error.message).toContain('did not finish within 1 s');
    const list = await harness.agent.api(harness.user.apiKey, 'GET', '/v1/conversations');
    const transcript = await harness.agent.api(
      harness.user.apiKey,
      'GET',
      `/v1/conversations/${list.body.conversations[0].id}`,
    );
    expect(transcript.body.messages.map((message: any) => [message.role, message.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'error'],
    ]);
  });
});

describe('time limits while streaming', () => {
  it('a streaming turn that runs out of time ends with an error part that says why', async () => {
    harness = await startChatHarness({ env: { AGENT_TURN_TIMEOUT_MS: '1000' } });
    harness.model.script({ hang: true });
    const response = await postChatStream(harness, { message: 'Are you there?' });
    const body = await response.text();
    expect(body).toMatch(/"type":"error","errorText":"[^"]*did not finish within 1 s/);
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });
});
