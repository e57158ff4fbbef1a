import { modelMessageSchema } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { flattenTurns, historyWithinBudget, replayableTurns } from '../../src/agent/conversation-history.js';
import { createHistoryCache, type HistoryCache } from '../../src/agent/history-cache.js';
import { loadTurnHistory } from '../../src/agent/history-loader.js';
import { findRetriedTurn } from '../../src/agent/retry-turn.js';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';
import { createRepositories } from '../../src/db/repositories.js';
import type { MessageRow, ReplayedMessage } from '../../src/transcripts/conversations.repository.js';
import { testToolTurn, testTurnStart } from '../support/turn-start.js';

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
  const addTurn = async (turn: number) => {
    await conversations.beginTurn(testTurnStart(turn, texts.question(turn), NOW));
    const { toolStep, answerStep } = testToolTurn(turn, {
      result: texts.result(turn),
      answer: `answer ${turn}`,
    });
    await conversations.endTurn({
      conversationId: 'conv_1',
      messageId: `answer_${turn}`,
      changes: { text: `answer ${turn}`, status: turn === TURNS ? 'error' : 'complete', error: null },
      appendModelMessages: [...toolStep, ...answerStep],
      now: NOW,
    });
  };
  for (let turn = 1; turn <= TURNS; turn++) await addTurn(turn);
  // Counts the messages each load reads back whole; `hidden` ones vanish between the size and whole reads.
  let messagesRead = 0;
  let sizesRead = 0;
  const hidden = new Set<string>();
  const counting = {
    listRecentMessages: async (...parameters: Parameters<typeof conversations.listRecentMessages>) => {
      const [conversationId, page] = parameters;
      const read = await conversations.listRecentMessages(conversationId, {
        ...page,
        limit: page.limit + hidden.size,
      });
      const visible = read.filter((message) => !hidden.has(message.id)).slice(0, page.limit);
      messagesRead += visible.length;
      return visible;
    },
    listRecentMessageSizes: async (
      ...parameters: Parameters<typeof conversations.listRecentMessageSizes>
    ) => {
      const sizes = await conversations.listRecentMessageSizes(...parameters);
      sizesRead += sizes.length;
      return sizes;
    },
  };
  return {
    all: await conversations.listMessages('conv_1'),
    db,
    addTurn,
    hidden,
    listMessages: () => conversations.listMessages('conv_1'),
    load: async (options: {
      budgetChars: number;
      retry?: boolean;
      excludeMessageId?: string;
      cache?: HistoryCache;
    }) => {
      messagesRead = 0;
      sizesRead = 0;
      const loaded = await loadTurnHistory({
        conversationsRepository: counting,
        conversationId: 'conv_1',
        excludeMessageId: options.excludeMessageId,
        retry: options.retry ?? false,
        budgetChars: options.budgetChars,
        cache: options.cache,
      });
      return { ...loaded, history: flattenTurns(loaded.turns), messagesRead, sizesRead };
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

describe('the history cache', () => {
  const everything = 10_000_000;

  it('reads whole only what the process has not read finished before, and checks a message once', async () => {
    const conversation = await longConversation();
    const cache = createHistoryCache({ maxChars: 1_000_000 });
    // Counts the messages that go through the model-message check (not known as checked).
    let checks = 0;
    const counting: HistoryCache = {
      ...cache,
      known: (message) => {
        const known = cache.known(message);
        if (!known && message.role === 'assistant') checks++;
        return known;
      },
    };
    const first = await conversation.load({ budgetChars: everything, cache: counting });
    expect(first.history).toEqual(historyWithinBudget(conversation.all, everything));
    expect(first.messagesRead).toBe(conversation.all.length);
    expect(checks).toBe(TURNS);

    checks = 0;
    const again = await conversation.load({ budgetChars: everything, cache: counting });
    expect(again.history).toEqual(first.history);
    expect(again.messagesRead).toBe(0);
    expect(checks).toBe(0);

    // The next turn reads whole the previous turn's two messages, and checks only its answer.
    await conversation.addTurn(TURNS + 1);
    const next = await conversation.load({ budgetChars: everything, cache: counting });
    expect(next.history).toEqual(historyWithinBudget(await conversation.listMessages(), everything));
    expect(next.messagesRead).toBe(2);
    expect(checks).toBe(1);
    // Within a budget too: what the budget keeps, of the cache.
    const within = await conversation.load({ budgetChars: 5_000, cache: counting });
    expect(within.history).toEqual(historyWithinBudget(await conversation.listMessages(), 5_000));
    expect(within.messagesRead).toBe(0);
  });

  it('reads again a message that is not finished, or whose stored sizes changed', async () => {
    const conversation = await longConversation();
    const cache = createHistoryCache({ maxChars: 1_000_000 });
    await conversation.load({ budgetChars: everything, cache });
    // A turn in progress: its streaming answer may still have steps appended, so it is never cached.
    await conversation.addTurn(TURNS + 1);
    conversation.db.$client
      .prepare("update messages set status = 'streaming' where id = ?")
      .run(`answer_${TURNS + 1}`);
    expect((await conversation.load({ budgetChars: everything, cache })).messagesRead).toBe(2);
    expect((await conversation.load({ budgetChars: everything, cache })).messagesRead).toBe(1);
    // Finished messages rewritten behind the process's back (a restore under a running server), the
    // newest of them too: the sizes kept are not used, and those of the old one no longer match, so it and
    // every newer message are read again, and the history is the stored one.
    const rewrite = conversation.db.$client.prepare('update messages set model_messages = ? where id = ?');
    rewrite.run(JSON.stringify([{ role: 'assistant', content: 'rewritten' }]), 'answer_3');
    conversation.db.$client
      .prepare('update messages set text = ? where id = ?')
      .run('asked once more', `user_${TURNS + 1}`);
    const reread = await conversation.load({ budgetChars: everything, cache });
    expect(reread.history).toEqual(historyWithinBudget(await conversation.listMessages(), everything));
    expect(reread.history).toContainEqual({ role: 'assistant', content: 'rewritten' });
    expect(reread.messagesRead).toBe(2 * (TURNS + 1) - 5);
  });

  it('asks only for the sizes of what came since the last read, from its newest finished message on', async () => {
    const conversation = await longConversation();
    const cache = createHistoryCache({ maxChars: 1_000_000 });
    const first = await conversation.load({ budgetChars: everything, cache });
    expect(first.sizesRead).toBe(conversation.all.length);
    // Nothing came since: only the newest message's sizes (finished, so all it keeps are settled).
    const again = await conversation.load({ budgetChars: everything, cache });
    expect(again.history).toEqual(first.history);
    expect(again.sizesRead).toBe(1);
    // A turn in progress, then finished: from the newest message finished at the last read on.
    await conversation.addTurn(TURNS + 1);
    const setStatus = (id: string, status: string) =>
      conversation.db.$client.prepare('update messages set status = ? where id = ?').run(status, id);
    setStatus(`answer_${TURNS + 1}`, 'streaming');
    const streaming = await conversation.load({ budgetChars: everything, cache });
    expect(streaming.sizesRead).toBe(3);
    expect(streaming.history).toEqual(historyWithinBudget(await conversation.listMessages(), everything));
    setStatus(`answer_${TURNS + 1}`, 'complete');
    await conversation.addTurn(TURNS + 2);
    const next = await conversation.load({ budgetChars: everything, cache });
    expect(next.sizesRead).toBe(4);
    expect(next.history).toEqual(historyWithinBudget(await conversation.listMessages(), everything));
    // Within a budget, the same; and a budget beyond the sizes kept reads the older ones again.
    const within = await conversation.load({ budgetChars: 5_000, cache });
    expect(within.history).toEqual(historyWithinBudget(await conversation.listMessages(), 5_000));
    expect(within.sizesRead).toBe(1);
    const wider = await conversation.load({ budgetChars: everything, cache });
    expect(wider.history).toEqual(historyWithinBudget(await conversation.listMessages(), everything));
    const stored = (await conversation.listMessages()).length;
    expect(wider.sizesRead).toBeGreaterThan(stored / 2);
    expect(wider.sizesRead).toBeLessThan(stored - 10);
  });

  it('reads all sizes afresh when more than a page came since, or the conversation went', async () => {
    const conversation = await longConversation();
    const cache = createHistoryCache({ maxChars: 1_000_000 });
    await conversation.load({ budgetChars: everything, cache });
    // Another instance ran 20 turns meanwhile: 40 messages, more than one page of sizes.
    for (let turn = TURNS + 1; turn <= TURNS + 20; turn++) await conversation.addTurn(turn);
    const after = await conversation.load({ budgetChars: everything, cache });
    expect(after.history).toEqual(historyWithinBudget(await conversation.listMessages(), everything));
    expect(after.messagesRead).toBe(40);
    // Deleted and started again under the same id: nothing of the old one is replayed.
    conversation.db.$client.prepare("delete from conversations where id = 'conv_1'").run();
    await conversation.addTurn(1);
    const restarted = await conversation.load({ budgetChars: everything, cache });
    expect(restarted.history).toEqual(historyWithinBudget(await conversation.listMessages(), everything));
    expect(restarted.history.filter((message) => message.role === 'user')).toHaveLength(1);
  });

  it('gives the stored history when a message goes between the size and the whole read', async () => {
    const conversation = await longConversation();
    const cache = createHistoryCache({ maxChars: 1_000_000 });
    // The next turn read while it streamed: its user message is cached, its answer is not.
    await conversation.addTurn(TURNS + 1);
    const setStatus = (status: string) =>
      conversation.db.$client
        .prepare('update messages set status = ? where id = ?')
        .run(status, `answer_${TURNS + 1}`);
    setStatus('streaming');
    await conversation.load({ budgetChars: everything, cache });
    setStatus('complete');
    conversation.hidden.add(`answer_${TURNS + 1}`);
    const loaded = await conversation.load({ budgetChars: everything, cache });
    const stored = (await conversation.listMessages()).filter(
      (message) => message.id !== `answer_${TURNS + 1}`,
    );
    // The read of the newest message reaches one further back, to the user message the cache gives: not twice.
    expect(loaded.history).toEqual(historyWithinBudget(stored, everything));
  });

  it('keeps no more characters than it is given, and none at all at 0', async () => {
    const conversation = await longConversation();
    const none = createHistoryCache({ maxChars: 0 });
    await conversation.load({ budgetChars: everything, cache: none });
    expect((await conversation.load({ budgetChars: everything, cache: none })).messagesRead).toBe(
      conversation.all.length,
    );
    // About 700 characters a turn: 10,000 keep the newest dozen turns or so; the older ones are read again.
    const small = createHistoryCache({ maxChars: 10_000 });
    await conversation.load({ budgetChars: everything, cache: small });
    const again = await conversation.load({ budgetChars: everything, cache: small });
    expect(again.history).toEqual(historyWithinBudget(conversation.all, everything));
    expect(again.messagesRead).toBe(conversation.all.length);
    const within = await conversation.load({ budgetChars: 3_000, cache: small });
    expect(within.history).toEqual(historyWithinBudget(conversation.all, 3_000));
    expect(within.messagesRead).toBe(0);
  });

  it('does not take a retried answer it did not replay as checked', async () => {
    const conversation = await longConversation();
    // The last (failed) answer is stored in a shape this version cannot replay.
    conversation.db.$client
      .prepare(`update messages set model_messages = '[{"role":"robot"}]' where id = ?`)
      .run(`answer_${TURNS}`);
    const cache = createHistoryCache({ maxChars: 1_000_000 });
    // A retry replays what came before that turn: the bad answer is read, but neither checked nor replayed.
    const retried = await conversation.load({ budgetChars: everything, cache, retry: true });
    expect(retried.retried?.message).toBe(`question ${TURNS}`);
    // So the next ordinary turn still checks it, and fails on it.
    await expect(conversation.load({ budgetChars: everything, cache })).rejects.toMatchObject({
      code: 'history_unreadable',
    });
  });

  it('shares frozen messages: a change in place throws instead of reaching the next turn', async () => {
    const conversation = await longConversation();
    const cache = createHistoryCache({ maxChars: 1_000_000 });
    await conversation.load({ budgetChars: everything, cache });
    const { history } = await conversation.load({ budgetChars: everything, cache });
    const answer = history.find((message) => message.role === 'assistant');
    expect(answer && Object.isFrozen(answer) && Object.isFrozen(answer.content)).toBe(true);
    expect(() => {
      (answer as { content: unknown }).content = 'changed';
    }).toThrow(TypeError);
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

describe('the size of a replayed turn', () => {
  const message = (
    sequence: number,
    role: 'user' | 'assistant',
    modelMessages: unknown[] | null,
  ): ReplayedMessage => ({
    id: `m${sequence}`,
    role,
    status: 'complete',
    sequence,
    text: role === 'user' ? `question "${sequence}" ✓ 𝄞` : `answer ${sequence}`,
    modelMessages,
  });
  const answer = (text: string) => [{ role: 'assistant', content: [{ type: 'text', text }] }];
  const messages = [
    // An answer before any user message (a conversation whose first message is gone).
    message(1, 'assistant', answer('orphan')),
    message(2, 'user', null),
    message(3, 'assistant', answer('first try')),
    // A retry: the latest attempt replaces the one before it.
    message(4, 'assistant', [...answer('second try, with "quotes" and \\ slashes'), ...answer('more')]),
    message(5, 'user', null),
    // An answer that stored nothing, and a user message with none.
    message(6, 'assistant', []),
    message(7, 'user', null),
  ];

  it('is what the turn weighs as JSON, with or without the sizes the cache keeps', () => {
    const cache = createHistoryCache({ maxChars: 1_000_000 });
    const sizeRead = (stored: ReplayedMessage) => ({
      ...stored,
      textChars: stored.text.length,
      modelMessagesChars: JSON.stringify(stored.modelMessages).length,
    });
    // Not cached; then cached (measured on first use); then from what the cache measured.
    for (const pass of ['uncached', 'cached', 'measured']) {
      const { turns, sizes, totalChars } = replayableTurns(messages, cache);
      expect(sizes, pass).toEqual(turns.map((turn) => JSON.stringify(flattenTurns([turn])).length));
      expect(totalChars).toBe(sizes.reduce((sum, size) => sum + size, 0));
      for (const stored of messages) cache.remember(stored, sizeRead(stored));
      expect(messages.every((stored) => cache.known(stored))).toBe(true);
    }
  });
});
