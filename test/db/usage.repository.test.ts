import { expect, it } from 'vitest';
import type { ToolCallStatus } from '../../src/transcripts/tool-calls.repository.js';
import { describeOnEachDatabase } from '../support/test-databases.js';
import { instanceNamed, seedUser, startTurnInNewConversation, T0 } from './repository-fixtures.js';

const nothing = { turns: 0, modelRequests: 0, inputTokens: 0, outputTokens: 0, toolCalls: 0 };

describeOnEachDatabase('the usage repository', (fixture) => {
  const setUp = async () => {
    await seedUser(fixture, 'usr_ann');
    await seedUser(fixture, 'usr_bob');
    const repositories = fixture.repositories({ instance: instanceNamed('inst_here') });
    const turn = async (name: string, userId: string, at: number, tokens: number) => {
      await startTurnInNewConversation(repositories, { name, userId, at });
      await repositories.conversations.endTurn({
        conversationId: `conv_${name}`,
        messageId: `msg_${name}`,
        changes: { status: 'complete' },
        usage: { inputTokens: tokens, outputTokens: tokens / 2, totalTokens: tokens, modelRequests: 2 },
        now: at,
      });
    };
    const toolCall = (id: string, userId: string, startedAt: number, status: ToolCallStatus) =>
      repositories.toolCalls.insert({
        id,
        userId,
        name: 'kso_yundoc_search_yundoc',
        server: 'kso-yundoc',
        arguments: {},
        isError: false,
        status,
        source: 'direct',
        startedAt,
      });
    return { usage: repositories.usage, conversations: repositories.conversations, turn, toolCall };
  };

  it('answers zeros, as numbers, for a user with nothing since then', async () => {
    const { usage } = await setUp();
    expect(await usage.totalsSince('usr_ann', T0)).toStrictEqual(nothing);
  });

  it("sums one user's turns and the tool calls that ran since a date, as numbers; never another user's", async () => {
    const { usage, turn, toolCall, conversations } = await setUp();
    await turn('old', 'usr_ann', T0 - 1, 1_000);
    await turn('a', 'usr_ann', T0, 100);
    // Each turn fits a 32-bit column; their sum does not, and stays exact.
    await turn('b', 'usr_ann', T0 + 5, 1_200_000_000);
    await turn('c', 'usr_ann', T0 + 6, 1_200_000_000);
    await turn('bob', 'usr_bob', T0, 8);
    await toolCall('call_old', 'usr_ann', T0 - 1, 'ok');
    await toolCall('call_ok', 'usr_ann', T0, 'ok');
    await toolCall('call_error', 'usr_ann', T0, 'error');
    await toolCall('call_waiting', 'usr_ann', T0, 'awaiting_approval');
    await toolCall('call_denied', 'usr_ann', T0, 'denied');
    await toolCall('call_bob', 'usr_bob', T0, 'ok');

    expect(await usage.totalsSince('usr_ann', T0)).toStrictEqual({
      turns: 3,
      modelRequests: 6,
      inputTokens: 2_400_000_100,
      outputTokens: 1_200_000_050,
      toolCalls: 2,
    });
    await conversations.deleteConversation('usr_ann', 'conv_b');
    expect((await usage.totalsSince('usr_ann', T0)).turns).toBe(2);
    expect((await usage.totalsSince('usr_bob', T0)).inputTokens).toBe(8);
  });
});
