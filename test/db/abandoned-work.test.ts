import { eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { type AppDatabase, migrateDatabase, openDatabase } from '../../src/db/database.js';
import { messagesTable, toolCallsTable } from '../../src/db/schema.js';
import type { InstanceIdentity } from '../../src/instances/instance-liveness.js';
import { createInstancesRepository } from '../../src/instances/instances.repository.js';
import { createManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { createAbandonedWorkSweeper } from '../../src/transcripts/abandoned-work.js';
import { createConversationsRepository } from '../../src/transcripts/conversations.repository.js';
import { createToolCallsRepository } from '../../src/transcripts/tool-calls.repository.js';
import { createUsersRepository } from '../../src/users/users.repository.js';

const EXPIRY_MS = 30_000;

async function setUp() {
  const db = openDatabase(':memory:');
  migrateDatabase(db);
  const clock = createManualClock(Date.UTC(2026, 10, 27));
  await createUsersRepository({ db }).insertUser({ id: 'usr_1', name: 'ann', createdAt: clock.now() });
  const instancesRepository = createInstancesRepository({ db });
  /** The repositories as one instance sees them; `heartbeatAgoMs` undefined: no instance row at all. */
  const instanceOf = async (id: string, heartbeatAgoMs?: number) => {
    const instance: InstanceIdentity = { id, expiryMs: EXPIRY_MS };
    if (heartbeatAgoMs !== undefined)
      await instancesRepository.register({
        id,
        pid: 1,
        host: 'test',
        startedAt: clock.now() - heartbeatAgoMs,
        heartbeatAt: clock.now() - heartbeatAgoMs,
        expiresAt: clock.now() - heartbeatAgoMs + EXPIRY_MS,
      });
    const conversationsRepository = createConversationsRepository({ db, instance });
    const toolCallsRepository = createToolCallsRepository({ db, instance });
    return {
      conversationsRepository,
      toolCallsRepository,
      async startTurn(name: string, at = clock.now()) {
        await conversationsRepository.beginTurn({
          userId: 'usr_1',
          newConversation: { id: `conv_${name}`, userId: 'usr_1', title: name, createdAt: at, updatedAt: at },
          conversationId: `conv_${name}`,
          messages: [
            {
              id: `msg_${name}`,
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
        await toolCallsRepository.insert({
          id: `call_${name}`,
          userId: 'usr_1',
          conversationId: `conv_${name}`,
          messageId: `msg_${name}`,
          name: 'kso_yundoc_search_yundoc',
          server: 'kso-yundoc',
          arguments: {},
          isError: false,
          status: 'running',
          source: 'chat',
          startedAt: at,
        });
      },
    };
  };
  const sweeperFor = (
    instance: Awaited<ReturnType<typeof instanceOf>>,
    logger = createLogger({ level: 'silent' }),
  ) =>
    createAbandonedWorkSweeper({
      ...instance,
      instancesRepository,
      clock,
      logger,
      callTimeoutMs: 60_000,
      turnTimeoutMs: 300_000,
      intervalMs: 15_000,
    });
  const statusesOf = (name: string) => ({
    turn: db
      .select()
      .from(messagesTable)
      .where(eq(messagesTable.id, `msg_${name}`))
      .get()?.status,
    call: db
      .select()
      .from(toolCallsTable)
      .where(eq(toolCallsTable.id, `call_${name}`))
      .get()?.status,
  });
  return { db, clock, instancesRepository, instanceOf, sweeperFor, statusesOf };
}

const forgetOwner = (db: AppDatabase, name: string) => {
  db.update(messagesTable)
    .set({ instanceId: null })
    .where(eq(messagesTable.id, `msg_${name}`))
    .run();
  db.update(toolCallsTable)
    .set({ instanceId: null })
    .where(eq(toolCallsTable.id, `call_${name}`))
    .run();
};

describe('work left behind by a crashed process', () => {
  it("is closed as aborted once its instance's heartbeat stopped, while live instances' work is left alone", async () => {
    const { instanceOf, sweeperFor, statusesOf, instancesRepository } = await setUp();
    const sweeping = await instanceOf('inst_sweeping', 0);
    await (await instanceOf('inst_dead', EXPIRY_MS + 1_000)).startTurn('dead');
    await (await instanceOf('inst_gone')).startTurn('gone'); // its row was already forgotten
    await (await instanceOf('inst_live', 2_000)).startTurn('live');
    await sweeping.startTurn('mine');

    expect(await sweeperFor(sweeping).sweep()).toEqual({ toolCalls: 2, turns: 2 });
    expect(statusesOf('dead')).toEqual({ turn: 'aborted', call: 'aborted' });
    expect(statusesOf('gone')).toEqual({ turn: 'aborted', call: 'aborted' });
    expect(statusesOf('live')).toEqual({ turn: 'streaming', call: 'running' });
    expect(statusesOf('mine')).toEqual({ turn: 'streaming', call: 'running' });
    expect((await instancesRepository.list()).map((row) => row.id).sort()).toEqual([
      'inst_live',
      'inst_sweeping',
    ]);
  });

  it('without a recorded instance, is closed as aborted only once older than the time limits', async () => {
    const { db, clock, instanceOf, sweeperFor, statusesOf } = await setUp();
    const legacy = await instanceOf('inst_old', 0);
    await legacy.startTurn('crashed', clock.now() - 60 * 60_000);
    await legacy.startTurn('recent', clock.now() - 1_000);
    forgetOwner(db, 'crashed');
    forgetOwner(db, 'recent');

    expect(await sweeperFor(await instanceOf('inst_sweeping', 0)).sweep()).toEqual({
      toolCalls: 1,
      turns: 1,
    });
    expect(statusesOf('crashed')).toEqual({ turn: 'aborted', call: 'aborted' });
    expect(statusesOf('recent')).toEqual({ turn: 'streaming', call: 'running' });
  });

  it('a sweep that fails (the database closed or failing) is logged and never throws out of the timer', async () => {
    const { db, instanceOf, sweeperFor } = await setUp();
    const logs: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => logs.push(line) } });
    const sweeping = await instanceOf('inst_sweeping', 0);
    const throwing = sweeperFor(
      {
        ...sweeping,
        toolCallsRepository: {
          ...sweeping.toolCallsRepository,
          abortRunningOfDeadInstances: async () => {
            throw new Error('disk on fire');
          },
        },
      },
      logger,
    );
    expect(() => throwing.start()).not.toThrow();
    throwing.stop();
    await vi.waitFor(() => expect(logs.join('')).toContain('disk on fire'));

    db.$client.close();
    const closed = sweeperFor(sweeping, logger);
    expect(() => closed.start()).not.toThrow();
    closed.stop();
    await vi.waitFor(() =>
      expect(logs.filter((line) => line.includes('sweeping abandoned work failed'))).toHaveLength(2),
    );
    const failures = logs.filter((line) => line.includes('sweeping abandoned work failed'));
    expect(failures).toHaveLength(2);
    expect(failures[1]).toContain('The database is busy or unavailable');
  });

  it("forgets write calls' before-states past SNAPSHOT_RETENTION_DAYS, keeping newer ones", async () => {
    const { clock, instanceOf, instancesRepository } = await setUp();
    const sweeping = await instanceOf('inst_sweeping', 0);
    await sweeping.startTurn('old');
    await sweeping.startTurn('new');
    await sweeping.toolCallsRepository.storeSnapshot(
      'call_old',
      'v1.sealed-old',
      clock.now() - 31 * 86_400_000,
    );
    await sweeping.toolCallsRepository.storeSnapshot('call_new', 'v1.sealed-new', clock.now() - 86_400_000);
    await createAbandonedWorkSweeper({
      ...sweeping,
      instancesRepository,
      clock,
      logger: createLogger({ level: 'silent' }),
      callTimeoutMs: 60_000,
      turnTimeoutMs: 300_000,
      intervalMs: 15_000,
      snapshotRetentionMs: 30 * 86_400_000,
    }).sweep();
    expect((await sweeping.toolCallsRepository.findForUser('usr_1', 'call_old'))?.snapshot).toBeNull();
    expect((await sweeping.toolCallsRepository.findForUser('usr_1', 'call_new'))?.snapshot).toBe(
      'v1.sealed-new',
    );
  });
});
