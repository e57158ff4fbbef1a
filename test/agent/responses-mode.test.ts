import { afterEach, describe, expect, it } from 'vitest';
import { type ChatHarness, postChatStream, startChatHarness } from '../support/chat-harness.js';
import {
  lastToolResults,
  type RecordedRequest,
  type ScriptedStep,
  toolNamesOf,
} from '../support/scripted-model/index.js';

let harness: ChatHarness;
afterEach(async () => {
  await harness?.close();
});

const ANSWER = 'The Q3 plan is "Q3 计划 Q3 Plan".';

/** Search WPS for the Q3 plan, then answer from what the search found. */
function searchThenAnswerScript(): ScriptedStep[] {
  return [
    { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }] },
    (request: RecordedRequest) => {
      const found = JSON.parse(lastToolResults(request)[0]?.content ?? '{}');
      // Fails the step loudly if the search result did not reach the model as a function_call_output.
      if (!Array.isArray(found.items)) throw new Error('no search result in the request');
      return { text: ANSWER };
    },
  ];
}

function modelRequests(harness: ChatHarness): RecordedRequest[] {
  return harness.model.requests.filter((request) => request.method === 'POST');
}

describe('the agent with OPENAI_API_MODE=responses', () => {
  it('runs a JSON turn over the Responses API: tool call, tool result back to the model, then text', async () => {
    harness = await startChatHarness({ env: { OPENAI_API_MODE: 'responses' } });
    const { agent, model, user } = harness;
    model.script(...searchThenAnswerScript());

    const reply = await agent.api(user.apiKey, 'POST', '/v1/chat', { message: 'Find the Q3 plan' });

    expect(reply.status).toBe(200);
    expect(reply.body.text).toBe(ANSWER);
    expect(reply.body.toolCalls).toHaveLength(1);
    expect(reply.body.toolCalls[0]).toMatchObject({ name: 'kso_yundoc_search_yundoc', isError: false });
    const requests = modelRequests(harness);
    expect(requests.map((request) => request.path)).toEqual(['/v1/responses', '/v1/responses']);
    expect(requests.every((request) => request.body.stream !== true)).toBe(true);
    expect(toolNamesOf(requests[0]!)).toContain('kso_yundoc_search_yundoc');
    const second = requests[1]!;
    expect(second.body.input).toContainEqual(
      expect.objectContaining({
        type: 'function_call',
        name: 'kso_yundoc_search_yundoc',
        arguments: JSON.stringify({ keyword: 'Q3' }),
      }),
    );
    expect(lastToolResults(second)).toEqual([
      { tool_call_id: expect.stringMatching(/^call_scripted_/), content: expect.stringContaining('Q3') },
    ]);
    expect(model.pending()).toBe(0);
  });

  it('asks OpenAI not to store responses, so later turns replay the transcript itself, not stored ids', async () => {
    harness = await startChatHarness({ env: { OPENAI_API_MODE: 'responses' } });
    const { agent, model, user } = harness;
    model.script(...searchThenAnswerScript(), { text: 'Yes.' });
    const first = await agent.api(user.apiKey, 'POST', '/v1/chat', { message: 'Find the Q3 plan' });
    await agent.api(user.apiKey, 'POST', '/v1/chat', {
      message: 'Sure?',
      conversationId: first.body.conversationId,
    });
    const requests = modelRequests(harness);
    expect(requests.every((request) => (request.body as any).store === false)).toBe(true);
    const followUp = JSON.stringify(requests.at(-1)?.body.input);
    expect(followUp).not.toContain('item_reference');
    expect(followUp).toContain('Q3 计划 Q3 Plan');
  });

  it('streams the same turn to an SSE client from a streamed Responses API answer', async () => {
    harness = await startChatHarness({ env: { OPENAI_API_MODE: 'responses' } });
    const { model } = harness;
    model.script(...searchThenAnswerScript());

    const response = await postChatStream(harness, { message: 'Find the Q3 plan' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const chunks = (await response.text())
      .split('\n\n')
      .map((event) => event.replace(/^data: /, ''))
      .filter((data) => data !== '' && data !== '[DONE]')
      .map((data) => JSON.parse(data));

    expect(chunks).toContainEqual(
      expect.objectContaining({
        type: 'tool-input-available',
        toolName: 'kso_yundoc_search_yundoc',
        input: { keyword: 'Q3' },
      }),
    );
    expect(chunks).toContainEqual(
      expect.objectContaining({ type: 'tool-output-available', toolCallId: expect.any(String) }),
    );
    const text = chunks
      .filter((chunk) => chunk.type === 'text-delta')
      .map((chunk) => chunk.delta)
      .join('');
    expect(text).toBe(ANSWER);
    expect(chunks.some((chunk) => chunk.type === 'error')).toBe(false);
    const requests = modelRequests(harness);
    expect(requests.map((request) => request.path)).toEqual(['/v1/responses', '/v1/responses']);
    expect(requests.every((request) => request.body.stream === true)).toBe(true);
    expect(model.pending()).toBe(0);
  });
});
