import type { LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { dynamicTool, generateText, jsonSchema, type ModelMessage, stepCountIs } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { flattenTurns, type HistoryTurn } from '../../src/agent/conversation-history.js';
import { createHistoryPrompts, withHistory } from '../../src/agent/history-prompt.js';
import { deepFreeze } from '../../src/shared/deep-freeze.js';

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

/** A model that calls `search` once and then answers, recording the prompt of every request. */
function recordingModel() {
  const prompts: LanguageModelV3CallOptions['prompt'][] = [];
  const model = new MockLanguageModelV3({
    doGenerate: async (options) => {
      prompts.push(structuredClone(options.prompt));
      const content =
        prompts.length % 2 === 1
          ? [
              {
                type: 'tool-call' as const,
                toolCallId: `now_${prompts.length}`,
                toolName: 'search',
                input: '{}',
              },
            ]
          : [{ type: 'text' as const, text: 'Found it.' }];
      return {
        content,
        finishReason: { unified: content[0]?.type === 'tool-call' ? 'tool-calls' : 'stop', raw: undefined },
        usage,
        warnings: [],
      };
    },
  });
  return { model, prompts };
}

const tools = {
  search: dynamicTool({
    description: 'Search',
    inputSchema: jsonSchema({ type: 'object', properties: {} }),
    execute: async () => ({ items: ['Q3 plan'] }),
  }),
};

/** The prompts of a two-step turn after `history`: replayed by prepareStep (the SDK converts) or converted once. */
async function promptsOfTurn(history: HistoryTurn[], how: 'prepareStep' | 'converted') {
  const { model, prompts } = recordingModel();
  const converted = how === 'converted' ? await createHistoryPrompts().convert(history) : undefined;
  if (how === 'converted' && !converted) throw new Error('the history was not converted');
  const flat = flattenTurns(history);
  await generateText({
    model: converted ? withHistory(model, converted) : model,
    system: 'You are the WPS agent.',
    messages: [{ role: 'user', content: 'Find the Q3 plan again' }],
    tools,
    stopWhen: stepCountIs(3),
    prepareStep: ({ messages }) =>
      converted || flat.length === 0 ? undefined : { messages: [...flat, ...messages] },
  });
  return prompts;
}

const turn = (user: string | undefined, answer: ModelMessage[]): HistoryTurn => ({
  user: user === undefined ? undefined : { role: 'user', content: user },
  answer,
});

/** Earlier turns of every shape a transcript replays. */
const HISTORY: HistoryTurn[] = [
  // An answer without its user message: the history starts inside a conversation.
  turn(undefined, [{ role: 'assistant', content: [{ type: 'text', text: 'Earlier answer' }] }]),
  turn('Find my Q3 plan 🚀 "quoted"', [
    {
      role: 'assistant',
      content: [
        { type: 'text', text: '' },
        { type: 'text', text: 'Searching.' },
        { type: 'tool-call', toolCallId: 'call_1', toolName: 'search', input: { keyword: 'Q3' } },
      ],
    },
    {
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: 'call_1',
          toolName: 'search',
          output: { type: 'json', value: { items: [{ name: 'Q3 计划' }] } },
        },
      ],
    },
    { role: 'assistant', content: [{ type: 'text', text: 'Found "Q3 计划".' }] },
  ]),
  // A turn that paused for approval and went on: the approval's request and answer, then the result.
  turn('Add a risks section', [
    {
      role: 'assistant',
      content: [
        { type: 'tool-call', toolCallId: 'call_2', toolName: 'write', input: { text: 'Risks' } },
        { type: 'tool-approval-request', approvalId: 'apr_1', toolCallId: 'call_2' },
      ],
    },
    { role: 'tool', content: [{ type: 'tool-approval-response', approvalId: 'apr_1', approved: true }] },
    {
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: 'call_2',
          toolName: 'write',
          output: { type: 'text', value: 'ok' },
        },
      ],
    },
    { role: 'assistant', content: 'Added.' },
  ]),
  // A denied write, a failed tool, and a turn that stored nothing.
  turn('Delete the plan', [
    {
      role: 'assistant',
      content: [
        { type: 'tool-call', toolCallId: 'call_3', toolName: 'delete', input: {} },
        { type: 'tool-approval-request', approvalId: 'apr_2', toolCallId: 'call_3' },
      ],
    },
    {
      role: 'tool',
      content: [
        { type: 'tool-approval-response', approvalId: 'apr_2', approved: false, reason: 'no' },
        {
          type: 'tool-result',
          toolCallId: 'call_3',
          toolName: 'delete',
          output: { type: 'execution-denied', reason: 'no' },
        },
      ],
    },
    {
      role: 'assistant',
      content: [{ type: 'tool-call', toolCallId: 'call_4', toolName: 'search', input: {} }],
    },
    {
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: 'call_4',
          toolName: 'search',
          output: { type: 'error-text', value: 'WPS is down' },
        },
      ],
    },
  ]),
  turn('Are you there?', []),
];

describe('the history in the provider prompt, converted once', () => {
  it('every request of a turn carries exactly the prompt the SDK builds from prepareStep', async () => {
    const replayed = await promptsOfTurn(HISTORY, 'prepareStep');
    const converted = await promptsOfTurn(HISTORY, 'converted');
    expect(replayed).toHaveLength(2);
    expect(converted).toEqual(replayed);
    // And the history really is in it: every earlier user message, before the turn's own.
    const users = replayed[1]?.filter((message) => message.role === 'user');
    expect(users?.map((message) => message.content[0])).toEqual([
      { type: 'text', text: 'Find my Q3 plan 🚀 "quoted"' },
      { type: 'text', text: 'Add a risks section' },
      { type: 'text', text: 'Delete the plan' },
      { type: 'text', text: 'Are you there?' },
      { type: 'text', text: 'Find the Q3 plan again' },
    ]);
  });

  it('what comes from the history cache (frozen) is converted once and reused by later turns', async () => {
    const prompts = createHistoryPrompts();
    const cached = HISTORY.map((entry) => deepFreeze(structuredClone(entry)));
    const first = await prompts.convert(cached);
    const second = await prompts.convert(cached.slice(1));
    const answerOf = (prompt: typeof first) => prompt?.find((message) => message.role === 'tool');
    const userOf = (prompt: typeof first) => prompt?.find((message) => message.role === 'user');
    expect(answerOf(second)).toBe(answerOf(first));
    expect(userOf(second)).toBe(userOf(first));
    expect(Object.isFrozen(answerOf(first))).toBe(true);
    // Not frozen: converted afresh each time (it could change between turns).
    const fresh = await prompts.convert(HISTORY);
    expect(answerOf(fresh)).not.toBe(answerOf(first));
    expect(userOf(fresh)).not.toBe(userOf(first));
    expect(fresh).toEqual(first);
  });

  it('a history with a URL the SDK may download is left to the SDK, as is one it cannot convert', async () => {
    const prompts = createHistoryPrompts();
    const withImage = turn('Look', [
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'call_9',
            toolName: 'shot',
            output: { type: 'content', value: [{ type: 'image-url', url: 'https://example.com/a.png' }] },
          },
        ],
      },
    ]);
    expect(await prompts.convert([withImage])).toBeUndefined();
    const unanswered = turn('Search', [
      {
        role: 'assistant',
        content: [{ type: 'tool-call', toolCallId: 'call_8', toolName: 'search', input: {} }],
      },
    ]);
    expect(await prompts.convert([unanswered])).toBeUndefined();
    expect(await prompts.convert([])).toEqual([]);
  });
});
