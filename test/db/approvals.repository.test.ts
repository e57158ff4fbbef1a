import { expect, it } from 'vitest';
import type { ApprovalRow } from '../../src/approvals/approvals.repository.js';
import type { Repositories } from '../../src/db/repositories.js';
import { describeOnEachDatabase } from '../support/test-databases.js';
import {
  instanceNamed,
  seedUser,
  startTurnInNewConversation,
  T0,
  usesOtherProcesses,
} from './repository-fixtures.js';

const HOUR_MS = 3_600_000;

const approval = (id: string, overrides: Partial<ApprovalRow> = {}): ApprovalRow => ({
  id,
  userId: 'usr_ann',
  conversationId: 'conv_a',
  messageId: 'msg_a',
  toolCallId: `call_${id}`,
  modelToolCallId: `model_${id}`,
  safeName: 'kso_write',
  name: 'kso.write',
  server: 'kso-yundoc',
  // Key order and a NUL kept: this is exactly what the user was shown.
  arguments: { zeta: 'z', alpha: 'before\u0000after' },
  preview: 'v1.sealed-preview',
  previewBasis: null,
  status: 'pending',
  reason: null,
  decidedAt: null,
  expiresAt: T0 + HOUR_MS,
  createdAt: T0,
  ...overrides,
});

/** An approval and its `awaiting_approval` transcript row, as a paused turn stores them. */
const pending = (row: ApprovalRow) => ({
  approval: row,
  toolCall: {
    id: row.toolCallId,
    userId: row.userId,
    conversationId: row.conversationId,
    messageId: row.messageId,
    name: row.name,
    server: row.server,
    arguments: row.arguments,
    isError: false,
    status: 'awaiting_approval' as const,
    source: 'chat' as const,
    startedAt: row.createdAt,
    changesData: true,
  },
});

const decision = (approved: boolean) => ({ approved, reason: approved ? null : 'no', decidedAt: T0 + 1 });

describeOnEachDatabase('the approvals repository', (fixture) => {
  const otherProcess = usesOtherProcesses(fixture);
  const setUp = async (): Promise<Repositories> => {
    await seedUser(fixture, 'usr_ann');
    await seedUser(fixture, 'usr_bob');
    const repositories = fixture.repositories({ instance: instanceNamed('inst_here') });
    await startTurnInNewConversation(repositories, { name: 'a', userId: 'usr_ann' });
    return repositories;
  };
  const callStatus = async (repositories: Repositories, id: string) =>
    (await repositories.toolCalls.findForUser('usr_ann', id))?.status;

  it('stores approvals with their calls, and finds them for their user, message, calls and conversation', async () => {
    const repositories = await setUp();
    const { approvals } = repositories;
    const rows = [approval('ap_2', { createdAt: T0 + 1 }), approval('ap_1')];
    await approvals.insertPending(rows.map(pending));

    expect(await approvals.findForUser('usr_ann', 'ap_1')).toEqual(rows[1]);
    expect(JSON.stringify((await approvals.findForUser('usr_ann', 'ap_1'))?.arguments)).toBe(
      JSON.stringify(rows[1]?.arguments),
    );
    expect(await approvals.findForUser('usr_bob', 'ap_1')).toBeUndefined();
    expect((await approvals.listForMessage('msg_a')).map((row) => row.id)).toEqual(['ap_1', 'ap_2']);
    expect((await approvals.listForToolCalls(['call_ap_2'])).map((row) => row.id)).toEqual(['ap_2']);
    expect(await approvals.listForToolCalls([])).toEqual([]);
    expect(await callStatus(repositories, 'call_ap_1')).toBe('awaiting_approval');

    await approvals.decide('ap_2', decision(true));
    expect((await approvals.listPendingForConversation('conv_a')).map((row) => row.id)).toEqual(['ap_1']);
  });

  it('stores nothing of a batch when one of its rows cannot be stored', async () => {
    const repositories = await setUp();
    const { approvals } = repositories;
    await approvals.insertPending([pending(approval('ap_1'))]);
    await expect(
      approvals.insertPending([pending(approval('ap_2')), pending(approval('ap_1'))]),
    ).rejects.toThrow();
    expect(await approvals.findForUser('usr_ann', 'ap_2')).toBeUndefined();
    expect(await repositories.toolCalls.findForUser('usr_ann', 'call_ap_2')).toBeUndefined();
  });

  it('counts the approvals still waiting and not expired, of every user', async () => {
    const { approvals } = await setUp();
    await approvals.insertPending(
      [
        approval('ap_waiting'),
        approval('ap_expired', { expiresAt: T0 }),
        approval('ap_answered'),
        approval('ap_bob', { userId: 'usr_bob' }),
      ].map(pending),
    );
    await approvals.decide('ap_answered', decision(false));
    expect(await approvals.countPending(T0)).toBe(2);
  });

  it('a denial closes its call as denied; an approval leaves it to run; a decided approval stays decided', async () => {
    const repositories = await setUp();
    const { approvals } = repositories;
    await approvals.insertPending([approval('ap_yes'), approval('ap_no')].map(pending));
    expect(await approvals.decide('ap_yes', decision(true))).toBe(true);
    expect(await approvals.decide('ap_no', decision(false))).toBe(true);
    expect(await approvals.decide('ap_no', decision(true))).toBe(false);

    expect(await approvals.findForUser('usr_ann', 'ap_no')).toMatchObject({
      status: 'denied',
      reason: 'no',
      decidedAt: T0 + 1,
    });
    expect(await repositories.toolCalls.findForUser('usr_ann', 'call_ap_no')).toMatchObject({
      status: 'denied',
      isError: true,
      durationMs: 0,
    });
    expect(await callStatus(repositories, 'call_ap_yes')).toBe('awaiting_approval');
  });

  it('closes the approved calls of a superseded turn as denied, and no call already running', async () => {
    const repositories = await setUp();
    const { approvals, toolCalls } = repositories;
    await approvals.insertPending([approval('ap_1'), approval('ap_2')].map(pending));
    await toolCalls.markRunning('call_ap_2', T0 + 2);
    await approvals.closeUnrun(['call_ap_1', 'call_ap_2']);
    await approvals.closeUnrun([]);
    expect([
      await callStatus(repositories, 'call_ap_1'),
      await callStatus(repositories, 'call_ap_2'),
    ]).toEqual(['denied', 'running']);
  });

  it('of 10 answers racing for one approval from two instances, exactly one wins, and the call agrees', async () => {
    const repositories = await setUp();
    await repositories.approvals.insertPending([pending(approval('ap_1'))]);
    const peers = [repositories, otherProcess({ instance: instanceNamed('inst_there') })];
    const answers = Array.from({ length: 10 }, (_, index) => index % 3 === 0);
    const results = await Promise.all(
      answers.map((approved, index) => peers[index % 2]!.approvals.decide('ap_1', decision(approved))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = answers[results.indexOf(true)];
    const stored = await repositories.approvals.findForUser('usr_ann', 'ap_1');
    expect(stored?.status).toBe(winner ? 'approved' : 'denied');
    expect(await callStatus(repositories, 'call_ap_1')).toBe(winner ? 'awaiting_approval' : 'denied');
  });
});
