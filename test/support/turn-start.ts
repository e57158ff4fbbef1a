import type { BeginTurn } from '../../src/transcripts/conversations.repository.js';

/**
 * The start of turn `turn` of the test conversation `conv_1` of `usr_1`, as a chat turn stores it: the
 * conversation with the first turn, the user's message `user_N` (complete) and the answer `answer_N`
 * (streaming, no model messages yet).
 */
export function testTurnStart(turn: number, userText: string, now: number): BeginTurn {
  return {
    userId: 'usr_1',
    newConversation:
      turn === 1 ? { id: 'conv_1', userId: 'usr_1', title: 't', createdAt: now, updatedAt: now } : undefined,
    conversationId: 'conv_1',
    messages: [
      {
        id: `user_${turn}`,
        role: 'user',
        text: userText,
        status: 'complete',
        modelMessages: null,
        error: null,
        createdAt: now,
      },
      {
        id: `answer_${turn}`,
        role: 'assistant',
        text: '',
        status: 'streaming',
        modelMessages: [],
        error: null,
        createdAt: now,
      },
    ],
    now,
  };
}

/**
 * The model messages of turn `turn` as the AI SDK hands them over in two steps: a tool call `s` and its
 * result, then the answer.
 */
export function testToolTurn(turn: number, texts: { result: string; answer: string }) {
  const callId = `call_${turn}`;
  return {
    toolStep: [
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: callId, toolName: 's', input: {} }] },
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: callId,
            toolName: 's',
            output: { type: 'text', value: texts.result },
          },
        ],
      },
    ],
    answerStep: [{ role: 'assistant', content: [{ type: 'text', text: texts.answer }] }],
  };
}
