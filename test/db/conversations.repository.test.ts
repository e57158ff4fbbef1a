import { expect, it } from 'vitest';
import { describeOnEachDatabase } from '../support/test-databases.js';
import {
  EXPIRY_MS,
  forgetOwner,
  instanceNamed,
  newConversation,
  outcomesOf,
  repositoriesOnClosedDatabase,
  seedInstance,
  seedUser,
  startTurnInNewConversation,
  T0,
  turnMessages,
  usesOtherProcesses,
} from './repository-fixtures.js';

const complete = { status: 'complete' as const, text: 'done' };

describeOnEachDatabase('the conversations repository', (fixture) => {
  const otherProcess = usesOtherProcesses(fixture);
  const here = instanceNamed('inst_here');
  const there = instanceNamed('inst_there');
  const setUp = async () => {
    await seedUser(fixture, 'usr_ann');
    await seedUser(fixture, 'usr_bob');
    // Both instances heartbeat: each sees the other's turns as live work.
    await seedInstance(fixture, here.id, T0 + EXPIRY_MS);
    await seedInstance(fixture, there.id, T0 + EXPIRY_MS);
    return fixture.repositories({ instance: here });
  };

  it('stores a new turn: the conversation, then its messages in order, owned by this instance', async () => {
    const repositories = await setUp();
    await startTurnInNewConversation(repositories, { name: 'a', userId: 'usr_ann' });
    const { conversations } = repositories;
    expect(await conversations.findConversation('usr_ann', 'conv_a')).toEqual(
      newConversation('conv_a', 'usr_ann'),
    );
    const messages = await conversations.listMessages('conv_a');
    expect(
      messages.map((message) => [message.id, message.role, message.sequence, message.instanceId]),
    ).toEqual([
      ['msg_a_user', 'user', 1, 'inst_here'],
      ['msg_a', 'assistant', 2, 'inst_here'],
    ]);
    expect(messages[1]).toMatchObject({
      status: 'streaming',
      modelMessages: [],
      inputTokens: 0,
      modelRequests: 0,
    });
  });

  it('stores a reply holding NUL characters: U+FFFD in its text and error, exactly in its model messages', async () => {
    const repositories = await setUp();
    await startTurnInNewConversation(repositories, { name: 'a', userId: 'usr_ann' });
    await startTurnInNewConversation(repositories, { name: 'b', userId: 'usr_ann' });
    const { conversations } = repositories;
    const reply = { role: 'assistant', content: [{ type: 'text', text: 'a\u0000b' }] };
    await conversations.appendStep('msg_a', { text: 'a\u0000b', modelMessages: [reply] });
    expect((await conversations.listMessages('conv_a'))[1]).toMatchObject({
      text: 'a\uFFFDb',
      modelMessages: [reply],
    });
    await conversations.endTurn({
      conversationId: 'conv_a',
      messageId: 'msg_a',
      changes: { text: 'a\u0000b\u0000', status: 'error', error: 'model_error: \u0000' },
      appendModelMessages: [],
      now: T0,
    });
    expect((await conversations.listMessages('conv_a'))[1]).toMatchObject({
      text: 'a\uFFFDb\uFFFD',
      error: 'model_error: \uFFFD',
      status: 'error',
      modelMessages: [reply],
    });
    expect(await conversations.failUnfinishedTurn('msg_b', 'turn_not_saved: \u0000')).toBe(true);
    expect((await conversations.listMessages('conv_b'))[1]).toMatchObject({
      status: 'error',
      error: 'turn_not_saved: \uFFFD',
    });
  });

  it("never shows or deletes another user's conversation", async () => {
    const repositories = await setUp();
    await startTurnInNewConversation(repositories, { name: 'a', userId: 'usr_ann' });
    const { conversations } = repositories;
    expect(await conversations.findConversation('usr_bob', 'conv_a')).toBeUndefined();
    expect(await conversations.listConversations({ userId: 'usr_bob', limit: 10 })).toEqual([]);
    expect(await conversations.listConversationsSince('usr_bob', 0)).toEqual([]);
    expect(await conversations.deleteConversation('usr_bob', 'conv_a')).toBe(false);
    expect(await conversations.findConversation('usr_ann', 'conv_a')).toBeDefined();

    expect(await conversations.deleteConversation('usr_ann', 'conv_a')).toBe(true);
    expect(await conversations.findConversation('usr_ann', 'conv_a')).toBeUndefined();
    expect(await conversations.listMessages('conv_a')).toEqual([]);
  });

  it('deleting a conversation deletes its tool calls, those no message holds (reverts) too, and no other', async () => {
    const repositories = await setUp();
    await startTurnInNewConversation(repositories, { name: 'a', userId: 'usr_ann' });
    await startTurnInNewConversation(repositories, { name: 'b', userId: 'usr_ann' });
    const { conversations, toolCalls } = repositories;
    const call = (id: string, conversationId: string, messageId: string | null, source: 'chat' | 'revert') =>
      toolCalls.insert({
        id,
        userId: 'usr_ann',
        conversationId,
        messageId,
        name: 'kso_write',
        server: 'kso-yundoc',
        arguments: {},
        isError: false,
        status: 'ok',
        source,
        startedAt: T0,
      });
    await call('call_chat_a', 'conv_a', 'msg_a', 'chat');
    await call('call_revert_a', 'conv_a', null, 'revert');
    await call('call_chat_b', 'conv_b', 'msg_b', 'chat');
    await call('call_revert_b', 'conv_b', null, 'revert');

    expect(await conversations.deleteConversation('usr_bob', 'conv_a')).toBe(false);
    expect(await toolCalls.findForUser('usr_ann', 'call_revert_a')).toBeDefined();
    expect(await conversations.deleteConversation('usr_ann', 'conv_a')).toBe(true);
    const left = await toolCalls.list({ userId: 'usr_ann', limit: 10 });
    expect(left.map((row) => row.id).sort()).toEqual(['call_chat_b', 'call_revert_b']);
  });

  it('lists a user’s conversations newest first, a page at a time, and since a date oldest first', async () => {
    const repositories = await setUp();
    for (const [index, name] of ['a', 'b', 'c', 'd'].entries())
      await startTurnInNewConversation(repositories, { name, userId: 'usr_ann', at: T0 + index * 1_000 });
    const { conversations } = repositories;
    const first = await conversations.listConversations({ userId: 'usr_ann', limit: 3 });
    expect(first.map((row) => row.id)).toEqual(['conv_d', 'conv_c', 'conv_b']);
    const last = first.at(-1)!;
    const next = await conversations.listConversations({
      userId: 'usr_ann',
      before: { updatedAt: last.updatedAt, id: last.id },
      limit: 3,
    });
    expect(next.map((row) => row.id)).toEqual(['conv_a']);
    const since = await conversations.listConversationsSince('usr_ann', T0 + 1_000);
    expect(since.map((row) => row.id)).toEqual(['conv_b', 'conv_c', 'conv_d']);
  });

  it('refuses a second turn while one runs, and appends the next one after it ends', async () => {
    const repositories = await setUp();
    await startTurnInNewConversation(repositories, { name: 'a', userId: 'usr_ann' });
    const { conversations } = repositories;
    const again = { conversationId: 'conv_a', messages: turnMessages('b'), now: T0 + 1_000 };
    await expect(conversations.beginTurn(again)).rejects.toMatchObject({ code: 'conversation_busy' });

    await conversations.endTurn({
      conversationId: 'conv_a',
      messageId: 'msg_a',
      changes: complete,
      now: T0 + 500,
    });
    await conversations.beginTurn(again);
    const messages = await conversations.listMessages('conv_a');
    expect(messages.map((message) => [message.id, message.sequence])).toEqual([
      ['msg_a_user', 1],
      ['msg_a', 2],
      ['msg_b_user', 3],
      ['msg_b', 4],
    ]);
    expect((await conversations.findConversation('usr_ann', 'conv_a'))?.updatedAt).toBe(T0 + 1_000);
  });

  it('a turn left streaming by a dead instance neither blocks its conversation nor counts against the cap', async () => {
    await setUp();
    await seedInstance(fixture, 'inst_dead', T0 - 1);
    const dead = fixture.repositories({ instance: instanceNamed('inst_dead') });
    await startTurnInNewConversation(dead, { name: 'a', userId: 'usr_ann' });
    const capped = fixture.repositories({ instance: here, turnsInFlightPerUser: 1 });
    await capped.conversations.beginTurn({ conversationId: 'conv_a', messages: turnMessages('b'), now: T0 });
    expect((await capped.conversations.listMessages('conv_a')).map((message) => message.sequence)).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it('a turn of a live peer instance does block its conversation', async () => {
    await setUp();
    await startTurnInNewConversation(fixture.repositories({ instance: there }), {
      name: 'a',
      userId: 'usr_ann',
    });
    await expect(
      fixture
        .repositories({ instance: here })
        .conversations.beginTurn({ conversationId: 'conv_a', messages: turnMessages('b'), now: T0 }),
    ).rejects.toMatchObject({ code: 'conversation_busy' });
  });

  it("caps one user's turns in flight, not another user's", async () => {
    await setUp();
    const repositories = fixture.repositories({ instance: here, turnsInFlightPerUser: 1 });
    await startTurnInNewConversation(repositories, { name: 'a', userId: 'usr_ann' });
    await expect(
      startTurnInNewConversation(repositories, { name: 'b', userId: 'usr_ann' }),
    ).rejects.toMatchObject({ code: 'rate_limited', status: 429, retryAfterSeconds: 5 });
    expect(await repositories.conversations.findConversation('usr_ann', 'conv_b')).toBeUndefined();
    await startTurnInNewConversation(repositories, { name: 'c', userId: 'usr_bob' });
  });

  it('stores steps and ends a turn: usage adds up, a finished turn is not marked failed, an aborted turn stays aborted, the list reorders', async () => {
    const repositories = await setUp();
    await startTurnInNewConversation(repositories, { name: 'a', userId: 'usr_ann' });
    await startTurnInNewConversation(repositories, { name: 'b', userId: 'usr_ann', at: T0 + 1 });
    const { conversations } = repositories;
    const modelMessages = [{ role: 'assistant', content: [{ type: 'text', text: 'hé 😀' }] }];
    await conversations.appendStep('msg_a', { text: 'partial', modelMessages });
    const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15, modelRequests: 1 };
    await conversations.endTurn({
      conversationId: 'conv_a',
      messageId: 'msg_a',
      changes: { status: 'awaiting_approval' },
      usage,
      now: T0 + 10,
    });
    await conversations.endTurn({
      conversationId: 'conv_a',
      messageId: 'msg_a',
      changes: complete,
      usage,
      now: T0 + 20,
    });
    // A finished turn is never written again: a failure reported after its end was stored leaves it be.
    expect(await conversations.failUnfinishedTurn('msg_a', 'turn_not_saved: lost')).toBe(false);
    const [, ended] = await conversations.listMessages('conv_a');
    expect(ended).toMatchObject({
      status: 'complete',
      error: null,
      text: 'done',
      modelMessages,
      inputTokens: 20,
      totalTokens: 30,
      modelRequests: 2,
    });
    const listed = await conversations.listConversations({ userId: 'usr_ann', limit: 10 });
    expect(listed.map((row) => [row.id, row.updatedAt])).toEqual([
      ['conv_a', T0 + 20],
      ['conv_b', T0 + 1],
    ]);

    expect(await conversations.abortStreamingOfThisInstance()).toBe(1);
    await conversations.endTurn({
      conversationId: 'conv_b',
      messageId: 'msg_b',
      changes: complete,
      now: T0 + 30,
    });
    const [, aborted] = await conversations.listMessages('conv_b');
    expect(aborted).toMatchObject({ status: 'aborted', text: 'done' });
  });

  it('closes abandoned turns: a dead instance’s, old ones with no instance, and this instance’s at shutdown', async () => {
    await setUp();
    await seedInstance(fixture, 'inst_dead', T0 - 1);
    await startTurnInNewConversation(fixture.repositories({ instance: instanceNamed('inst_dead') }), {
      name: 'dead',
      userId: 'usr_ann',
    });
    await startTurnInNewConversation(fixture.repositories({ instance: there }), {
      name: 'live',
      userId: 'usr_ann',
    });
    const mine = fixture.repositories({ instance: here });
    await startTurnInNewConversation(mine, { name: 'mine', userId: 'usr_ann' });
    const { conversations } = mine;
    expect(await conversations.abortStreamingOfDeadInstances(T0)).toBe(1);
    expect(await conversations.abortStreamingOfDeadInstances(T0)).toBe(0);
    await startTurnInNewConversation(mine, { name: 'legacy_old', userId: 'usr_ann', at: T0 - 10 });
    await startTurnInNewConversation(mine, { name: 'legacy_new', userId: 'usr_ann' });
    await forgetOwner(fixture, 'messages', 'msg_legacy_old');
    await forgetOwner(fixture, 'messages', 'msg_legacy_new');
    expect(await conversations.abortStreamingStartedBefore(T0 - 5)).toBe(1);
    expect(await conversations.abortStreamingOfThisInstance()).toBe(1);
    const statusOf = async (name: string) => (await conversations.listMessages(`conv_${name}`))[1]?.status;
    const names = ['dead', 'live', 'mine', 'legacy_old', 'legacy_new'];
    expect(await Promise.all(names.map(statusOf))).toEqual([
      'aborted',
      'streaming',
      'aborted',
      'aborted',
      'streaming',
    ]);
  });

  it('hands a paused turn to exactly one of several instances continuing it at once', async () => {
    const repositories = await setUp();
    await startTurnInNewConversation(repositories, { name: 'a', userId: 'usr_ann' });
    await repositories.conversations.endTurn({
      conversationId: 'conv_a',
      messageId: 'msg_a',
      changes: { status: 'awaiting_approval' },
      now: T0,
    });
    const claimers = Array.from(
      { length: 10 },
      (_, index) =>
        (index % 2
          ? otherProcess({ instance: instanceNamed(`inst_${index}`) })
          : fixture.repositories({ instance: instanceNamed(`inst_${index}`) })
        ).conversations,
    );
    const claims = await Promise.all(claimers.map((conversations) => conversations.claimPausedTurn('msg_a')));
    const won = claims.filter((claim) => claim !== undefined);
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ id: 'msg_a', status: 'streaming' });
    const [, message] = await repositories.conversations.listMessages('conv_a');
    expect(message?.instanceId).toBe(won[0]?.instanceId);
  });

  it('of 10 turns started at once on one conversation from two instances, exactly one runs; sequences stay gap-free', async () => {
    const repositories = await setUp();
    await startTurnInNewConversation(repositories, { name: 'start', userId: 'usr_ann' });
    await repositories.conversations.endTurn({
      conversationId: 'conv_start',
      messageId: 'msg_start',
      changes: complete,
      now: T0,
    });
    const instances = [fixture.repositories({ instance: here }), otherProcess({ instance: there })];
    for (let round = 0; round < 3; round += 1) {
      const attempts = Array.from({ length: 10 }, (_, index) =>
        instances[index % 2]!.conversations.beginTurn({
          conversationId: 'conv_start',
          messages: turnMessages(`r${round}_${index}`),
          now: T0,
        }),
      );
      const outcome = await outcomesOf(attempts);
      expect(outcome).toEqual({ fulfilled: 1, errorCodes: Array(9).fill('conversation_busy') });
      const streaming = (await repositories.conversations.listMessages('conv_start')).find(
        (message) => message.status === 'streaming',
      );
      await repositories.conversations.endTurn({
        conversationId: 'conv_start',
        messageId: streaming!.id,
        changes: complete,
        now: T0,
      });
    }
    const sequences = (await repositories.conversations.listMessages('conv_start')).map(
      (message) => message.sequence,
    );
    expect(sequences).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('of 10 instances creating one new conversation at once, exactly one does; the rest find it busy', async () => {
    await setUp();
    const instances = [fixture.repositories({ instance: here }), otherProcess({ instance: there })];
    const outcome = await outcomesOf(
      Array.from({ length: 10 }, (_, index) =>
        instances[index % 2]!.conversations.beginTurn({
          newConversation: newConversation('conv_new', 'usr_ann'),
          conversationId: 'conv_new',
          messages: turnMessages(`n${index}`),
          now: T0,
        }),
      ),
    );
    expect(outcome).toEqual({ fulfilled: 1, errorCodes: Array(9).fill('conversation_busy') });
    expect(
      (await instances[0]!.conversations.listMessages('conv_new')).map((message) => message.sequence),
    ).toEqual([1, 2]);
  });

  it('with a cap of 2, of 5 turns started at once in 5 conversations of one user, exactly 2 run', async () => {
    await setUp();
    const instances = [
      fixture.repositories({ instance: here, turnsInFlightPerUser: 2 }),
      otherProcess({ instance: there, turnsInFlightPerUser: 2 }),
    ];
    const outcome = await outcomesOf(
      Array.from({ length: 5 }, (_, index) =>
        startTurnInNewConversation(instances[index % 2]!, { name: `c${index}`, userId: 'usr_ann' }),
      ),
    );
    expect(outcome).toEqual({ fulfilled: 2, errorCodes: Array(3).fill('rate_limited') });
    expect(
      await instances[0]!.conversations.listConversations({ userId: 'usr_ann', limit: 10 }),
    ).toHaveLength(2);
  });

  it('adds up the usage of turn ends racing from two instances, losing none', async () => {
    const repositories = await setUp();
    await startTurnInNewConversation(repositories, { name: 'a', userId: 'usr_ann' });
    const peers = [repositories, otherProcess({ instance: there })];
    const usage = { inputTokens: 3, outputTokens: 2, totalTokens: 5, modelRequests: 1 };
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        peers[index % 2]!.conversations.endTurn({
          conversationId: 'conv_a',
          messageId: 'msg_a',
          changes: { text: `step ${index}` },
          usage,
          now: T0 + index,
        }),
      ),
    );
    const [, message] = await repositories.conversations.listMessages('conv_a');
    expect(message).toMatchObject({ inputTokens: 30, outputTokens: 20, totalTokens: 50, modelRequests: 10 });
  });

  it('answers `unavailable` (503, retry later) when the database cannot be reached', async () => {
    const { conversations } = await repositoriesOnClosedDatabase(fixture);
    await expect(conversations.findConversation('usr_ann', 'conv_a')).rejects.toMatchObject({
      code: 'unavailable',
      status: 503,
    });
    await expect(
      conversations.beginTurn({ conversationId: 'conv_a', messages: turnMessages('a'), now: T0 }),
    ).rejects.toMatchObject({ code: 'unavailable' });
  });
});
