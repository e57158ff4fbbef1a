import { expect, it } from 'vitest';
import type { ToolCallsRepository } from '../../src/transcripts/tool-calls.repository.js';
import { describeOnEachDatabase } from '../support/test-databases.js';
import {
  EXPIRY_MS,
  forgetOwner,
  instanceNamed,
  seedInstance,
  seedUser,
  startTurnInNewConversation,
  T0,
} from './repository-fixtures.js';

type NewCall = Parameters<ToolCallsRepository['insert']>[0];

const call = (id: string, overrides: Partial<NewCall> = {}): NewCall => ({
  id,
  userId: 'usr_ann',
  conversationId: 'conv_a',
  messageId: 'msg_a',
  step: 0,
  name: 'kso_yundoc_search_yundoc',
  server: 'kso-yundoc',
  arguments: { keyword: id },
  isError: false,
  status: 'running',
  source: 'chat',
  startedAt: T0,
  ...overrides,
});

const succeeded = { result: { content: [] }, isError: false, status: 'ok' as const, durationMs: 12 };

describeOnEachDatabase('the tool calls repository', (fixture) => {
  const setUp = async (instance = instanceNamed('inst_here')) => {
    await seedUser(fixture, 'usr_ann');
    await seedUser(fixture, 'usr_bob');
    const repositories = fixture.repositories({ instance });
    await startTurnInNewConversation(repositories, { name: 'a', userId: 'usr_ann' });
    return repositories.toolCalls;
  };

  it('stores a call with its defaults and owner, finds it for its user only, and records its outcome', async () => {
    const toolCalls = await setUp();
    await toolCalls.insert({
      ...call('call_1'),
      step: undefined,
      conversationId: undefined,
      messageId: undefined,
    });
    expect(await toolCalls.findForUser('usr_bob', 'call_1')).toBeUndefined();
    expect(await toolCalls.findForUser('usr_ann', 'call_1')).toEqual({
      ...call('call_1'),
      conversationId: null,
      messageId: null,
      step: null,
      safeName: null,
      result: null,
      durationMs: null,
      changesData: false,
      snapshot: null,
      snapshotAt: null,
      revertOf: null,
      instanceId: 'inst_here',
    });
    await toolCalls.finish('call_1', succeeded);
    expect(await toolCalls.findForUser('usr_ann', 'call_1')).toMatchObject({ ...succeeded });
  });

  it('gives JSON back exactly as stored: key order, strings that look like JSON, NUL characters, unicode', async () => {
    const toolCalls = await setUp();
    const values: unknown[] = [
      { zeta: 1, alpha: { y: [3, 2, 1], x: null }, middle: 'm' },
      '123',
      'true',
      '{"looks":"like json"}',
      { text: 'before\u0000after', emoji: 'hé 😀 \u2028', big: 12345678901234567000, float: 0.1 },
      [1, 'two', null, false, { nested: [] }],
    ];
    for (const [index, value] of values.entries()) {
      await toolCalls.insert(call(`call_${index}`, { arguments: value }));
      await toolCalls.finish(`call_${index}`, { ...succeeded, result: value });
    }
    for (const [index, value] of values.entries()) {
      const row = await toolCalls.findForUser('usr_ann', `call_${index}`);
      expect(JSON.stringify(row?.arguments)).toBe(JSON.stringify(value));
      expect(JSON.stringify(row?.result)).toBe(JSON.stringify(value));
    }
  });

  it('a call closed as aborted stays aborted when its finish arrives late', async () => {
    const toolCalls = await setUp();
    await toolCalls.insert(call('call_1'));
    expect(await toolCalls.abortRunningOfThisInstance()).toBe(1);
    await toolCalls.finish('call_1', succeeded);
    expect(await toolCalls.findForUser('usr_ann', 'call_1')).toMatchObject({
      status: 'aborted',
      isError: true,
      durationMs: null,
      result: null,
    });
  });

  it('starts an approved call and keeps a write call’s before-state until its retention ends', async () => {
    const toolCalls = await setUp();
    await toolCalls.insert(call('call_old', { status: 'awaiting_approval', changesData: true }));
    await toolCalls.insert(call('call_new', { changesData: true }));
    await toolCalls.markRunning('call_old', T0 + 5);
    expect(await toolCalls.findForUser('usr_ann', 'call_old')).toMatchObject({
      status: 'running',
      startedAt: T0 + 5,
    });
    await toolCalls.storeSnapshot('call_old', 'v1.sealed-old', T0 - 10);
    await toolCalls.storeSnapshot('call_new', 'v1.sealed-new', T0);
    expect(await toolCalls.purgeSnapshotsBefore(T0 - 5)).toBe(1);
    expect(await toolCalls.findForUser('usr_ann', 'call_old')).toMatchObject({
      snapshot: null,
      snapshotAt: null,
    });
    expect(await toolCalls.findForUser('usr_ann', 'call_new')).toMatchObject({
      snapshot: 'v1.sealed-new',
      snapshotAt: T0,
    });
  });

  it("lists a user's calls newest first, by every filter and a page at a time; never another user's", async () => {
    const toolCalls = await setUp();
    await toolCalls.insert(call('call_a', { startedAt: T0 + 1 }));
    await toolCalls.insert(
      call('call_b', { startedAt: T0 + 2, name: 'kso_write', changesData: true, source: 'direct' }),
    );
    await toolCalls.insert(call('call_c', { startedAt: T0 + 2, status: 'error', isError: true }));
    await toolCalls.insert(
      call('call_d', { startedAt: T0 + 3, conversationId: null, messageId: null, source: 'revert' }),
    );
    await toolCalls.insert(call('call_bob', { userId: 'usr_bob', conversationId: null, messageId: null }));
    // A revert of a call of conv_a: in the conversation, but no message holds it.
    await toolCalls.insert(call('call_e', { startedAt: T0, messageId: null, source: 'revert' }));
    const ids = async (filters: Partial<Parameters<ToolCallsRepository['list']>[0]>) =>
      (await toolCalls.list({ userId: 'usr_ann', limit: 10, ...filters })).map((row) => row.id);

    expect(await ids({})).toEqual(['call_d', 'call_c', 'call_b', 'call_a', 'call_e']);
    expect(await ids({ conversationId: 'conv_a' })).toEqual(['call_c', 'call_b', 'call_a', 'call_e']);
    expect(await ids({ conversationId: 'conv_other' })).toEqual([]);
    expect(await ids({ name: 'kso_write' })).toEqual(['call_b']);
    expect(await ids({ status: 'error' })).toEqual(['call_c']);
    expect(await ids({ source: 'revert' })).toEqual(['call_d', 'call_e']);
    expect(await ids({ writes: true })).toEqual(['call_b']);
    expect(await ids({ writes: false })).toEqual(['call_d', 'call_c', 'call_a', 'call_e']);
    expect(await ids({ limit: 2 })).toEqual(['call_d', 'call_c']);
    expect(await ids({ before: { startedAt: T0 + 2, id: 'call_c' } })).toEqual([
      'call_b',
      'call_a',
      'call_e',
    ]);
    expect(await ids({ userId: 'usr_bob' })).toEqual(['call_bob']);
  });

  it("lists the calls of a turn's messages oldest first", async () => {
    const toolCalls = await setUp();
    await toolCalls.insert(call('call_2', { startedAt: T0 + 2 }));
    await toolCalls.insert(call('call_1', { startedAt: T0 + 1 }));
    await toolCalls.insert(call('call_other', { messageId: null }));
    expect((await toolCalls.listForMessages(['msg_a'])).map((row) => row.id)).toEqual(['call_1', 'call_2']);
    expect(await toolCalls.listForMessages([])).toEqual([]);
  });

  it('closes abandoned calls: a dead instance’s, old ones with no instance, and this instance’s at shutdown', async () => {
    await seedInstance(fixture, 'inst_dead', T0 - 1);
    await seedInstance(fixture, 'inst_live', T0 + EXPIRY_MS);
    const toolCalls = await setUp();
    const asInstance = (id: string) => fixture.repositories({ instance: instanceNamed(id) }).toolCalls;
    await asInstance('inst_dead').insert(call('call_dead'));
    await asInstance('inst_gone').insert(call('call_gone'));
    await asInstance('inst_live').insert(call('call_live'));
    await toolCalls.insert(call('call_mine'));
    await toolCalls.insert(call('call_done', { status: 'ok' }));
    await toolCalls.insert(call('call_legacy_old', { startedAt: T0 - 10 }));
    await toolCalls.insert(call('call_legacy_new', { startedAt: T0 }));
    await forgetOwner(fixture, 'tool_calls', 'call_legacy_old');
    await forgetOwner(fixture, 'tool_calls', 'call_legacy_new');

    expect(await toolCalls.abortRunningOfDeadInstances(T0)).toBe(2);
    expect(await toolCalls.abortRunningStartedBefore(T0 - 5)).toBe(1);
    expect(await toolCalls.abortRunningOfThisInstance()).toBe(1);
    const statuses = await Promise.all(
      ['dead', 'gone', 'live', 'mine', 'done', 'legacy_old', 'legacy_new'].map(
        async (name) => (await toolCalls.findForUser('usr_ann', `call_${name}`))?.status,
      ),
    );
    expect(statuses).toEqual(['aborted', 'aborted', 'running', 'aborted', 'ok', 'aborted', 'running']);
  });
});
