import { describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';
import { createManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { createAbandonedWorkSweeper } from '../../src/transcripts/abandoned-work.js';
import { createConversationsRepository } from '../../src/transcripts/conversations.repository.js';
import { createToolCallsRepository } from '../../src/transcripts/tool-calls.repository.js';
import { createUsersRepository } from '../../src/users/users.repository.js';

describe('work left behind by a crashed process', () => {
  it('is closed as aborted once older than the time limits, while work still in flight is left alone', () => {
    const db = openDatabase(':memory:');
    migrateDatabase(db);
    const clock = createManualClock(Date.UTC(2026, 10, 27));
    createUsersRepository({ db }).insertUser({ id: 'usr_1', name: 'ann', createdAt: clock.now() });
    const conversationsRepository = createConversationsRepository({ db });
    const toolCallsRepository = createToolCallsRepository({ db });
    const startTurn = (id: string, at: number) =>
      conversationsRepository.beginTurn({
        newConversation: { id: `conv_${id}`, userId: 'usr_1', title: id, createdAt: at, updatedAt: at },
        conversationId: `conv_${id}`,
        messages: [
          {
            id: `msg_${id}`,
            role: 'assistant',
            text: '',
            status: 'streaming',
            modelMessages: [],
            error: null,
            createdAt: at,
          },
        ],
        now: at,
      });
    const startCall = (id: string, at: number) =>
      toolCallsRepository.insert({
        id,
        userId: 'usr_1',
        name: 'kso_yundoc_search_yundoc',
        server: 'kso-yundoc',
        arguments: {},
        isError: false,
        status: 'running',
        source: 'direct',
        startedAt: at,
      });
    startTurn('crashed', clock.now() - 60 * 60_000);
    startCall('call_crashed', clock.now() - 60 * 60_000);
    startTurn('live', clock.now() - 1_000);
    startCall('call_live', clock.now() - 1_000);

    const sweeper = createAbandonedWorkSweeper({
      toolCallsRepository,
      conversationsRepository,
      clock,
      logger: createLogger({ level: 'silent' }),
      callTimeoutMs: 60_000,
      turnTimeoutMs: 300_000,
    });
    expect(sweeper.sweep()).toEqual({ toolCalls: 1, turns: 1, snapshots: 0 });
    const statusOf = (id: string) =>
      toolCallsRepository.list({ userId: 'usr_1', limit: 10 }).find((row) => row.id === id)?.status;
    expect(statusOf('call_crashed')).toBe('aborted');
    expect(statusOf('call_live')).toBe('running');
    expect(conversationsRepository.listMessages('conv_crashed')[0]?.status).toBe('aborted');
    expect(conversationsRepository.listMessages('conv_live')[0]?.status).toBe('streaming');

    // Before-states of write calls are kept for the retention period, then forgotten.
    toolCallsRepository.storeSnapshot('call_crashed', 'v1.sealed-old', clock.now() - 31 * 86_400_000);
    toolCallsRepository.storeSnapshot('call_live', 'v1.sealed-new', clock.now() - 86_400_000);
    const retaining = createAbandonedWorkSweeper({
      toolCallsRepository,
      conversationsRepository,
      clock,
      logger: createLogger({ level: 'silent' }),
      callTimeoutMs: 60_000,
      turnTimeoutMs: 300_000,
      snapshotRetentionMs: 30 * 86_400_000,
    });
    expect(retaining.sweep().snapshots).toBe(1);
    expect(toolCallsRepository.findForUser('usr_1', 'call_crashed')?.snapshot).toBeNull();
    expect(toolCallsRepository.findForUser('usr_1', 'call_live')?.snapshot).toBe('v1.sealed-new');
  });
});
