import { afterEach, describe, expect, it } from 'vitest';
import { jsonTextNestsDeeperThan } from '../../src/agent/tool-input-bounds.js';
import { type ChatHarness, postChatStream, startChatHarness } from '../support/chat-harness.js';
import { lastToolResults } from '../support/scripted-model/index.js';

let harness: ChatHarness;
afterEach(async () => {
  await harness?.close();
});

const nestedJson = (levels: number) => `${'{"a":'.repeat(levels)}"x"${'}'.repeat(levels)}`;
const chatRequests = () =>
  harness.model.requests.filter((request) => request.path.endsWith('/chat/completions'));

describe("the model's tool arguments are bounded", () => {
  it('arguments nested past the bound come back as a tool error the model can correct, and never reach WPS', async () => {
    harness = await startChatHarness();
    harness.model.script(
      {
        toolCalls: [
          { name: 'kso_yundoc_search_yundoc', arguments: `{"keyword":"Q3","extra":${nestedJson(40)}}` },
        ],
      },
      { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }] },
      { text: 'Found it.' },
    );
    harness.agent.sandbox.resetCounts();
    const answer = await harness.agent.api(harness.user.apiKey, 'POST', '/v1/chat', { message: 'Find Q3' });
    expect(answer.status).toBe(200);
    expect(answer.body.toolCalls.map((call: any) => call.status)).toEqual(['error', 'ok']);
    const feedback = lastToolResults(chatRequests()[1]!)[0]?.content ?? '';
    expect(feedback).toContain('nest deeper than 32 levels');
    expect(harness.agent.sandbox.requestCounts().mcp['kso-yundoc']?.['tools/call']).toBe(1);
  });
});

describe('arguments nested 5,000 levels deep from the model', () => {
  const deepThenFixed = () =>
    harness.model.script(
      {
        toolCalls: [
          { name: 'kso_yundoc_search_yundoc', arguments: `{"keyword":"Q3","extra":${nestedJson(5000)}}` },
        ],
      },
      { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }] },
      { text: 'Found it.' },
    );

  it('come back to the model as a tool error (JSON), the turn completes, and WPS only sees the fixed call', async () => {
    harness = await startChatHarness();
    deepThenFixed();
    harness.agent.sandbox.resetCounts();
    const answer = await harness.agent.api(harness.user.apiKey, 'POST', '/v1/chat', { message: 'Find Q3' });
    expect(answer.status).toBe(200);
    expect(answer.body.text).toBe('Found it.');
    const feedback = JSON.stringify(chatRequests()[1]?.body.messages ?? []);
    expect(feedback).toContain('nest deeper than 32 levels');
    expect(harness.agent.sandbox.requestCounts().mcp['kso-yundoc']?.['tools/call']).toBe(1);
  });

  it('do the same on the stream', async () => {
    harness = await startChatHarness();
    deepThenFixed();
    const response = await postChatStream(harness, { message: 'Find Q3' });
    const stream = await response.text();
    expect(response.status).toBe(200);
    expect(stream).toContain('"type":"tool-input-error"');
    expect(stream).toContain('"type":"finish"');
    expect(chatRequests()).toHaveLength(3);
    expect(JSON.stringify(chatRequests()[1]?.body.messages ?? [])).toContain('nest deeper than 32 levels');
  });
});

describe('a local fault is never reported as WPS being unreachable', () => {
  it('a failure inside the agent while recording a direct call is 500 internal, not 502', async () => {
    harness = await startChatHarness();
    // The transcript store failing is this process's fault, whatever WPS is doing.
    harness.agent.services.toolCallsRepository.insert = () => {
      throw new RangeError('Maximum call stack size exceeded');
    };
    const answer = await harness.agent.api(harness.user.apiKey, 'POST', '/v1/tools/call', {
      name: 'kso_yundoc_search_yundoc',
      arguments: { keyword: 'Q3' },
    });
    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe('internal');
  });
});

describe('nesting of JSON text, measured without parsing', () => {
  it('counts brackets outside strings only, escaped quotes included', () => {
    expect(jsonTextNestsDeeperThan(nestedJson(3), 3)).toBe(false);
    expect(jsonTextNestsDeeperThan(nestedJson(4), 3)).toBe(true);
    expect(jsonTextNestsDeeperThan(`{"text":"${'['.repeat(50)}\\"${'{'.repeat(50)}"}`, 3)).toBe(false);
    expect(jsonTextNestsDeeperThan('[[],[],[[]]]', 3)).toBe(false);
  });
});
