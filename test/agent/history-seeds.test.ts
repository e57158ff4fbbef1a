import { expect, it, vi } from 'vitest';
import { flattenTurns } from '../../src/agent/conversation-history.js';
import { createHistoryCache, storedLength } from '../../src/agent/history-cache.js';
import { loadTurnHistory } from '../../src/agent/history-loader.js';
import { seededAnswer, seededUserMessage } from '../../src/agent/history-seeds.js';
import type { ConversationsRepository } from '../../src/transcripts/conversations.repository.js';
import { describeOnEachDatabase } from '../support/test-databases.js';
import { testToolTurn, testTurnStart } from '../support/turn-start.js';

const NOW = Date.UTC(2026, 11, 7);

/** Text whose stored length differs from JavaScript's: astral characters, CJK, quotes to escape. */
const AWKWARD = 'Q3 计划 🚀📈 "quoted" \\ back\tslash 𠀋 end';
/** An answer may hold a NUL (stored as U+FFFD in the text, escaped in the model messages); a user message may not. */
const WITH_NUL = `${AWKWARD} \u0000`;

/** One turn's model messages as the AI SDK hands them over, two steps (a tool call, then the answer). */
const turnModelMessages = (turn: number) =>
  testToolTurn(turn, { result: `${WITH_NUL} result ${turn}`, answer: `${WITH_NUL} answer ${turn}` });

describeOnEachDatabase('messages a turn stored, seeded into the history cache', (fixture) => {
  /**
   * Stores turns as a chat turn does (beginTurn, a step, endTurn) and seeds the cache with what
   * chat-turn.ts and turn-start.ts seed; `loads` counts whole-message reads.
   */
  async function conversationWithSeeds() {
    const repositories = fixture.repositories();
    await repositories.users.insertUser({ id: 'usr_1', name: 'ann', createdAt: NOW });
    const conversations = repositories.conversations;
    const cache = createHistoryCache({ maxChars: 1_000_000 });
    let wholeReads = 0;
    const counting: Pick<ConversationsRepository, 'listRecentMessages' | 'listRecentMessageSizes'> = {
      listRecentMessages: async (...parameters) => {
        const read = await conversations.listRecentMessages(...parameters);
        wholeReads += read.length;
        return read;
      },
      listRecentMessageSizes: (...parameters) => conversations.listRecentMessageSizes(...parameters),
    };
    const load = async (useCache: boolean) => {
      wholeReads = 0;
      const loaded = await loadTurnHistory({
        conversationsRepository: counting,
        conversationId: 'conv_1',
        excludeMessageId: undefined,
        retry: false,
        budgetChars: 1_000_000,
        cache: useCache ? cache : undefined,
      });
      return { history: flattenTurns(loaded.turns), wholeReads };
    };
    const addTurn = async (turn: number, seed: { text?: string } = {}) => {
      const user = { id: `user_${turn}`, text: `${AWKWARD} question ${turn}` };
      await conversations.beginTurn(testTurnStart(turn, user.text, NOW));
      cache.seed(seededUserMessage(user));
      const { toolStep, answerStep } = turnModelMessages(turn);
      const text = `${WITH_NUL} answer ${turn}`;
      await conversations.appendStep(`answer_${turn}`, { text: '', modelMessages: toolStep });
      await conversations.endTurn({
        conversationId: 'conv_1',
        messageId: `answer_${turn}`,
        changes: { text, status: 'complete', error: null },
        appendModelMessages: answerStep,
        now: NOW,
      });
      cache.seed(
        seededAnswer({
          id: `answer_${turn}`,
          text: seed.text ?? text,
          modelMessages: [...toolStep, ...answerStep],
        }),
      );
    };
    return { addTurn, load, conversations };
  }

  it('the next turn reads none of them back, and replays exactly what a read of the rows gives', async () => {
    const { addTurn, load } = await conversationWithSeeds();
    await addTurn(1);
    await addTurn(2);
    const seeded = await load(true);
    expect(seeded.wholeReads).toBe(0);
    const read = await load(false);
    expect(read.wholeReads).toBe(4);
    expect(seeded.history).toEqual(read.history);
    // And again after a third turn: the older turns come from the cache, the new one from its seeds.
    await addTurn(3);
    const again = await load(true);
    expect(again.wholeReads).toBe(0);
    expect(again.history).toEqual((await load(false)).history);
  });

  it('a seed that does not match its row (another length) is read back whole instead', async () => {
    const { addTurn, load } = await conversationWithSeeds();
    await addTurn(1, { text: 'not what was stored' });
    const loaded = await load(true);
    expect(loaded.wholeReads).toBe(1);
    expect(loaded.history).toEqual((await load(false)).history);
  });

  it('stored lengths are what the database counts: characters, not UTF-16 units', async () => {
    const { addTurn, conversations } = await conversationWithSeeds();
    await addTurn(1);
    const [answer, user] = await conversations.listRecentMessageSizes('conv_1', { limit: 2 });
    const { toolStep, answerStep } = turnModelMessages(1);
    expect(user?.textChars).toBe(storedLength(`${AWKWARD} question 1`));
    expect(answer?.textChars).toBe(storedLength(`${WITH_NUL} answer 1`));
    expect(answer?.modelMessagesChars).toBe(storedLength(JSON.stringify([...toolStep, ...answerStep])));
    expect(storedLength(AWKWARD)).toBeLessThan(AWKWARD.length);
  });
});

it('a seeded answer stays the text it was stored as until a size read recalls it, then is parsed once', () => {
  const cache = createHistoryCache({ maxChars: 1_000_000 });
  const { toolStep, answerStep } = turnModelMessages(1);
  const modelMessages = [...toolStep, ...answerStep];
  const seed = seededAnswer({ id: 'answer_1', text: 'Found it.', modelMessages });
  const parse = vi.spyOn(JSON, 'parse');
  try {
    cache.seed(seed);
    expect(parse).not.toHaveBeenCalled();
    const size = {
      id: 'answer_1',
      role: 'assistant' as const,
      status: 'complete' as const,
      sequence: 2,
      textChars: storedLength('Found it.'),
      modelMessagesChars: storedLength(JSON.stringify(modelMessages)),
    };
    const recalled = cache.recall(size);
    expect(recalled).toEqual({
      id: 'answer_1',
      role: 'assistant',
      status: 'complete',
      sequence: 2,
      text: 'Found it.',
      modelMessages,
    });
    expect(Object.isFrozen(recalled?.modelMessages)).toBe(true);
    expect(cache.known(recalled!)).toBe(true);
    expect(cache.recall(size)).toBe(recalled);
    expect(parse).toHaveBeenCalledTimes(1);
    // Another length than stored: not this message.
    expect(cache.recall({ ...size, textChars: size.textChars + 1 })).toBeUndefined();
  } finally {
    parse.mockRestore();
  }
});
