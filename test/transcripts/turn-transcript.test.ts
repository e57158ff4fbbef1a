import { describe, expect, it } from 'vitest';
import { type DatabaseFixture, describeOnEachDatabase } from '../support/test-databases.js';

const NOW = Date.UTC(2026, 11, 2);
const instance = { id: 'inst_a', expiryMs: 30_000 };

async function setUpOn(fixture: DatabaseFixture) {
  const repositories = fixture.repositories({ instance });
  await repositories.users.insertUser({ id: 'usr_1', name: 'ann', createdAt: NOW });
  await repositories.instances.register({
    id: instance.id,
    pid: 1,
    host: 'test',
    startedAt: NOW,
    heartbeatAt: NOW,
    expiresAt: NOW + instance.expiryMs,
  });
  return repositories.conversations;
}

type Conversations = Awaited<ReturnType<typeof setUpOn>>;

/** Starts a turn as the chat loop does: the user's message (unless a retry) and the streaming answer. */
async function startTurn(conversations: Conversations, turn: string, options: { retry?: boolean } = {}) {
  const existing = await conversations.findConversation('usr_1', 'conv_1');
  await conversations.beginTurn({
    userId: 'usr_1',
    newConversation: existing
      ? undefined
      : { id: 'conv_1', userId: 'usr_1', title: 'Q3', createdAt: NOW, updatedAt: NOW },
    conversationId: 'conv_1',
    messages: [
      ...(options.retry
        ? []
        : [
            {
              id: `msg_${turn}_user`,
              role: 'user' as const,
              text: `question ${turn}`,
              status: 'complete' as const,
              modelMessages: null,
              error: null,
              createdAt: NOW,
            },
          ]),
      {
        id: `msg_${turn}`,
        role: 'assistant' as const,
        text: '',
        status: 'streaming' as const,
        modelMessages: [],
        error: null,
        createdAt: NOW,
      },
    ],
    now: NOW,
  });
}

const toolCall = (id: string) => ({
  role: 'assistant',
  content: [{ type: 'tool-call', toolCallId: id, toolName: 'search', input: { keyword: 'Q3' } }],
});
const toolResult = (id: string) => ({
  role: 'tool',
  content: [
    {
      type: 'tool-result',
      toolCallId: id,
      toolName: 'search',
      output: { type: 'json', value: { title: 'Q3 \'plan\', "quoted" ],' } },
    },
  ],
});
const answer = { role: 'assistant', content: [{ type: 'text', text: 'Found it.' }] };

describeOnEachDatabase('transcript writes', (fixture) => {
  const setUp = () => setUpOn(fixture);
  describe('a turn stored step by step', () => {
    it('holds every step in order, each written once: steps append their new messages, the end the last', async () => {
      const conversations = await setUp();
      await startTurn(conversations, 'a');
      await conversations.appendStep('msg_a', {
        text: 'Looking',
        modelMessages: [toolCall('c1'), toolResult('c1')],
      });
      // A step whose messages are all stored already (nothing new) changes only the text.
      await conversations.appendStep('msg_a', { text: 'Still looking', modelMessages: [] });
      await conversations.appendStep('msg_a', {
        text: 'Again',
        modelMessages: [toolCall('c2'), toolResult('c2')],
      });
      await conversations.endTurn({
        conversationId: 'conv_1',
        messageId: 'msg_a',
        changes: { text: 'Found it.', status: 'complete', error: null },
        appendModelMessages: [answer],
        usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15, modelRequests: 3 },
        now: NOW + 1,
      });
      const [, stored] = await conversations.listMessages('conv_1');
      expect(stored).toMatchObject({
        text: 'Found it.',
        status: 'complete',
        error: null,
        totalTokens: 15,
        modelRequests: 3,
        modelMessages: [toolCall('c1'), toolResult('c1'), toolCall('c2'), toolResult('c2'), answer],
      });
    });

    it('a turn closed as aborted meanwhile stays aborted when its end arrives, and keeps its last step', async () => {
      const conversations = await setUp();
      await startTurn(conversations, 'a');
      await conversations.appendStep('msg_a', {
        text: 'Looking',
        modelMessages: [toolCall('c1'), toolResult('c1')],
      });
      await conversations.abortStreamingOfThisInstance();
      await conversations.endTurn({
        conversationId: 'conv_1',
        messageId: 'msg_a',
        changes: { text: 'Found it.', status: 'complete', error: null },
        appendModelMessages: [answer],
        now: NOW + 1,
      });
      const [, stored] = await conversations.listMessages('conv_1');
      expect(stored?.status).toBe('aborted');
      expect(stored?.modelMessages).toEqual([toolCall('c1'), toolResult('c1'), answer]);
    });

    it('an end that changes no text or error keeps the stored ones', async () => {
      const conversations = await setUp();
      await startTurn(conversations, 'a');
      await conversations.appendStep('msg_a', { text: 'Paused here', modelMessages: [toolCall('c1')] });
      await conversations.endTurn({
        conversationId: 'conv_1',
        messageId: 'msg_a',
        changes: { status: 'awaiting_approval' },
        now: NOW + 1,
      });
      const [, stored] = await conversations.listMessages('conv_1');
      expect(stored).toMatchObject({ text: 'Paused here', status: 'awaiting_approval', error: null });
      expect(stored?.modelMessages).toEqual([toolCall('c1')]);
    });
  });

  describe('a conversation read back newest first', () => {
    it('numbers its messages without gaps across turns and retries, and pages back from the newest', async () => {
      const conversations = await setUp();
      for (const turn of ['a', 'b', 'c']) {
        await startTurn(conversations, turn);
        await conversations.endTurn({
          conversationId: 'conv_1',
          messageId: `msg_${turn}`,
          changes: { status: turn === 'c' ? 'error' : 'complete' },
          now: NOW,
        });
      }
      await startTurn(conversations, 'c2', { retry: true });
      const all = await conversations.listMessages('conv_1');
      expect(all.map((message) => [message.sequence, message.id])).toEqual([
        [1, 'msg_a_user'],
        [2, 'msg_a'],
        [3, 'msg_b_user'],
        [4, 'msg_b'],
        [5, 'msg_c_user'],
        [6, 'msg_c'],
        [7, 'msg_c2'],
      ]);
      const newest = await conversations.listRecentMessages('conv_1', { limit: 3 });
      expect(newest.map((message) => message.sequence)).toEqual([7, 6, 5]);
      const older = await conversations.listRecentMessages('conv_1', { beforeSequence: 5, limit: 3 });
      expect(older.map((message) => message.sequence)).toEqual([4, 3, 2]);
      // Sizes from a place on: what came since, newest first, up to the limit.
      const since = await conversations.listRecentMessageSizes('conv_1', { fromSequence: 5, limit: 10 });
      expect(since.map((size) => size.sequence)).toEqual([7, 6, 5]);
      const newestSince = await conversations.listRecentMessageSizes('conv_1', { fromSequence: 2, limit: 2 });
      expect(newestSince.map((size) => size.sequence)).toEqual([7, 6]);
    });

    it('gives the same pages as sizes that never exceed what the messages weigh in JavaScript', async () => {
      const conversations = await setUp();
      const texts = ['plain', 'tab\tand "quotes"', 'é and 😀 beyond U+FFFF', ''];
      for (const [index, text] of texts.entries()) {
        await startTurn(conversations, `t${index}`);
        await conversations.endTurn({
          conversationId: 'conv_1',
          messageId: `msg_t${index}`,
          changes: { text, status: 'complete' },
          appendModelMessages: [
            toolCall(`c${index}`),
            toolResult(`c${index}`),
            { role: 'assistant', content: text },
          ],
          now: NOW,
        });
      }
      const whole = await conversations.listRecentMessages('conv_1', { beforeSequence: 8, limit: 5 });
      const sizes = await conversations.listRecentMessageSizes('conv_1', { beforeSequence: 8, limit: 5 });
      expect(sizes.map(({ id, role, status, sequence }) => ({ id, role, status, sequence }))).toEqual(
        whole.map(({ id, role, status, sequence }) => ({ id, role, status, sequence })),
      );
      for (const [index, size] of sizes.entries()) {
        const message = whole[index];
        if (!message) throw new Error('a size without its message');
        // Characters (code points): equal to JavaScript's length but for the one character beyond U+FFFF.
        const codePoints = (value: string) => [...value].length;
        expect(size.textChars).toBe(codePoints(message.text));
        // A user message has none: SQL NULL, or the text `null` SQLite's prepared insert stores for it.
        if (message.role === 'assistant')
          expect(size.modelMessagesChars).toBe(codePoints(JSON.stringify(message.modelMessages)));
        else expect(size.modelMessagesChars).toBeLessThanOrEqual(4);
        expect(size.textChars).toBeLessThanOrEqual(message.text.length);
      }
      expect(await conversations.listRecentMessageSizes('conv_1', { limit: 100 })).toHaveLength(8);
    });

    it('refuses a second turn while the first runs (conversation_busy)', async () => {
      const conversations = await setUp();
      await startTurn(conversations, 'a');
      await expect(startTurn(conversations, 'b')).rejects.toMatchObject({ code: 'conversation_busy' });
      expect(await conversations.listMessages('conv_1')).toHaveLength(2);
    });
  });
});
