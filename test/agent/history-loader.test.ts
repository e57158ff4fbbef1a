import { modelMessageSchema } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { historyWithinBudget } from '../../src/agent/conversation-history.js';
import { loadTurnHistory } from '../../src/agent/history-loader.js';
import { createReplayableMessages, type ReplayableMessages } from '../../src/agent/replayable-messages.js';
import { findRetriedTurn } from '../../src/agent/retry-turn.js';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';
import { createRepositories } from '../../src/db/repositories.js';
import type { MessageRow } from '../../src/transcripts/conversations.repository.js';

const NOW = Date.UTC(2026, 11, 2);
const TURNS = 60;

/**
 * A stored conversation of TURNS turns of uneven size (one tool call each), the last one failed. `texts`
 * varies what the turns say (characters whose stored and replayed lengths differ).
 */
async function longConversation(
  texts: { question: (turn: number) => string; result: (turn: number) => string } = {
    question: (turn) => `question ${turn}`,
    result: (turn) => 'x'.repeat(100 + ((turn * 37) % 400)),
  },
) {
  const db = openDatabase(':memory:');
  migrateDatabase(db);
  const repositories = createRepositories({ dialect: 'sqlite', db });
  await repositories.users.insertUser({ id: 'usr_1', name: 'ann', createdAt: NOW });
  const conversations = repositories.conversations;
  for (let turn = 1; turn <= TURNS; turn++) {
    await conversations.beginTurn({
      userId: 'usr_1',
      newConversation:
        turn === 1
          ? { id: 'conv_1', userId: 'usr_1', title: 't', createdAt: NOW, updatedAt: NOW }
          : undefined,
      conversationId: 'conv_1',
      messages: [
        {
          id: `user_${turn}`,
          role: 'user',
          text: texts.question(turn),
          status: 'complete',
          modelMessages: null,
          error: null,
          createdAt: NOW,
        },
        {
          id: `answer_${turn}`,
          role: 'assistant',
          text: '',
          status: 'streaming',
          modelMessages: [],
          error: null,
          createdAt: NOW,
        },
      ],
      now: NOW,
    });
    const callId = `call_${turn}`;
    await conversations.endTurn({
      conversationId: 'conv_1',
      messageId: `answer_${turn}`,
      changes: { text: `answer ${turn}`, status: turn === TURNS ? 'error' : 'complete', error: null },
      appendModelMessages: [
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: callId, toolName: 's', input: {} }] },
        {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: callId,
              toolName: 's',
              output: { type: 'text', value: texts.result(turn) },
            },
          ],
        },
        { role: 'assistant', content: [{ type: 'text', text: `answer ${turn}` }] },
      ],
      now: NOW,
    });
  }
  // Counts the messages each load reads back whole.
  let messagesRead = 0;
  const counting = {
    listRecentMessages: async (...parameters: Parameters<typeof conversations.listRecentMessages>) => {
      const page = await conversations.listRecentMessages(...parameters);
      messagesRead += page.length;
      return page;
    },
    listRecentMessageSizes: conversations.listRecentMessageSizes,
  };
  return {
    all: await conversations.listMessages('conv_1'),
    load: async (options: {
      budgetChars: number;
      retry?: boolean;
      excludeMessageId?: string;
      checked?: ReplayableMessages;
    }) => {
      messagesRead = 0;
      const loaded = await loadTurnHistory({
        conversationsRepository: counting,
        conversationId: 'conv_1',
        excludeMessageId: options.excludeMessageId,
        retry: options.retry ?? false,
        budgetChars: options.budgetChars,
        checked: options.checked,
      });
      return { ...loaded, messagesRead };
    },
  };
}

describe('the history a turn replays', () => {
  it('is what the budget keeps of the whole conversation, read back only as far as the budget reaches', async () => {
    const { all, load } = await longConversation();
    for (const budgetChars of [1_000, 3_000, 10_000, 40_000, 10_000_000]) {
      const loaded = await load({ budgetChars });
      expect(loaded.history).toEqual(historyWithinBudget(all, budgetChars));
      expect(loaded.retried).toBeUndefined();
      // Sizes first, then whole messages: those of the turns kept and of at most one turn more (a message
      // more at worst, as sizes leave out a turn's few characters of brackets and commas).
      const kept = loaded.history.filter((message) => message.role === 'user').length;
      expect(loaded.messagesRead).toBeLessThanOrEqual(Math.min(all.length, 2 * (kept + 1) + 1));
    }
    // About 700 chars per turn here: a 3,000-char budget keeps 5 turns and reads those whole and at most
    // one turn more, not the conversation's 120 messages; a budget larger than the conversation reads all.
    const small = await load({ budgetChars: 3_000 });
    expect(small.history.filter((message) => message.role === 'user')).toHaveLength(5);
    expect(small.messagesRead).toBeGreaterThanOrEqual(10);
    expect(small.messagesRead).toBeLessThanOrEqual(12);
    expect((await load({ budgetChars: 10_000_000 })).messagesRead).toBe(all.length);
  });

  it('is the same when stored and replayed lengths differ: escapes, characters beyond U+FFFF, NUL', async () => {
    const { all, load } = await longConversation({
      question: (turn) => `"${turn}"\n\t😀${'\u0000'.repeat(turn % 3)}${'é😀'.repeat(turn % 7)}\n`,
      result: (turn) => `${'😀"\\'.repeat(20 + ((turn * 13) % 90))}${'\u2028'.repeat(turn % 5)}`,
    });
    for (let budgetChars = 200; budgetChars <= 40_000; budgetChars += 397) {
      const loaded = await load({ budgetChars });
      expect(loaded.history, `budget ${budgetChars}`).toEqual(historyWithinBudget(all, budgetChars));
      const kept = loaded.history.filter((message) => message.role === 'user').length;
      // Whole messages read: the turns kept, a quarter more and one more. Sizes count a character beyond
      // U+FFFF once (JavaScript twice) and a sixth of this text is such characters; the plain conversation
      // above reads one turn more than it keeps.
      expect(loaded.messagesRead, `budget ${budgetChars}`).toBeLessThanOrEqual(
        2 * Math.ceil(kept * 1.25 + 1),
      );
    }
    for (const budgetChars of [500, 5_000, 50_000]) {
      const retried = await load({ budgetChars, retry: true });
      expect(retried.history).toEqual(historyWithinBudget(findRetriedTurn(all).earlier, budgetChars));
    }
  });

  it('for a retry: the failed turn runs again over the same history as before', async () => {
    const { all, load } = await longConversation();
    const retried = findRetriedTurn(all);
    for (const budgetChars of [1_000, 10_000, 10_000_000]) {
      const loaded = await load({ budgetChars, retry: true });
      expect(loaded.retried).toEqual({ message: `question ${TURNS}` });
      expect(loaded.history).toEqual(historyWithinBudget(retried.earlier, budgetChars));
    }
  });

  it('leaves out the paused turn that continues', async () => {
    const { all, load } = await longConversation();
    const continued = `answer_${TURNS}`;
    const loaded = await load({ budgetChars: 5_000, excludeMessageId: continued });
    const others: MessageRow[] = all.filter((message) => message.id !== continued);
    expect(loaded.history).toEqual(historyWithinBudget(others, 5_000));
  });
});

describe('checking stored messages before they are replayed', () => {
  it('checks a finished message once per process, and a message that may still change every time', async () => {
    const { all, load } = await longConversation();
    const memo = createReplayableMessages({ max: 1_000 });
    const checkedIds: string[] = [];
    const counting: ReplayableMessages = {
      known: (message) => memo.known(message),
      remember: (message) => {
        checkedIds.push(message.id);
        memo.remember(message);
      },
    };
    const first = await load({ budgetChars: 10_000_000, checked: counting });
    expect(first.history).toEqual(historyWithinBudget(all, 10_000_000));
    // Every assistant message (the failed last turn too) was checked the first time.
    expect(checkedIds).toHaveLength(60);
    checkedIds.length = 0;
    expect((await load({ budgetChars: 10_000_000, checked: counting })).history).toEqual(first.history);
    expect(checkedIds).toEqual([]);
    // A streaming (or paused, or aborted) row may still have steps appended: never taken as checked.
    const streaming = { ...(all.at(-1) as MessageRow), status: 'streaming' as const };
    memo.remember(streaming);
    expect(memo.known(streaming)).toBe(false);
  });
});

describe('the stored-message check', () => {
  const answer = (modelMessages: unknown[]): MessageRow =>
    ({
      id: 'answer_x',
      role: 'assistant',
      text: '',
      status: 'complete',
      modelMessages,
      error: null,
      createdAt: NOW,
    }) as MessageRow;
  const samples: unknown[] = [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'hello' },
    { role: 'user', content: [{ type: 'text', text: 'hello' }] },
    { role: 'assistant', content: 'hi' },
    { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'search', input: {} }] },
    {
      role: 'tool',
      content: [
        { type: 'tool-result', toolCallId: 'c1', toolName: 'search', output: { type: 'text', value: 'x' } },
      ],
    },
    { role: 'robot', content: 'hi' },
    { content: 'no role' },
    { role: 'assistant', content: [{ type: 'telepathy' }] },
    { role: 'tool', content: 'not parts' },
    { role: 'user', content: 42 },
    null,
  ];

  it('accepts and refuses exactly the messages the AI SDK’s own model-message schema does', () => {
    for (const sample of samples) {
      const sdkAccepts = z.array(modelMessageSchema).safeParse([sample]).success;
      const replayed = () => historyWithinBudget([answer([sample])], 1_000_000);
      if (sdkAccepts) expect(replayed(), JSON.stringify(sample)).toEqual([sample]);
      else expect(replayed, JSON.stringify(sample)).toThrow(/not in the model-message format/);
    }
  });
});
