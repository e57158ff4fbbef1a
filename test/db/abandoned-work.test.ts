import { expect, it, vi } from 'vitest';
import type { Repositories } from '../../src/db/repositories.js';
import { createManualClock } from '../../src/shared/clock.js';
import { createLogger, type Logger } from '../../src/shared/logger.js';
import { createAbandonedWorkSweeper } from '../../src/transcripts/abandoned-work.js';
import { type DatabaseFixture, describeOnEachDatabase } from '../support/test-databases.js';
import {
  EXPIRY_MS,
  forgetOwner,
  instanceNamed,
  repositoriesOnClosedDatabase,
  seedInstance,
  seedUser,
  startTurnInNewConversation,
  T0,
} from './repository-fixtures.js';

const silent = createLogger({ level: 'silent' });

/** The instances a test plays, each with its repositories; `heartbeatAgoMs` undefined: no row at all. */
function setUp(fixture: DatabaseFixture) {
  const clock = createManualClock(T0);
  const instanceOf = async (id: string, heartbeatAgoMs?: number) => {
    if (heartbeatAgoMs !== undefined)
      await seedInstance(fixture, id, clock.now() - heartbeatAgoMs + EXPIRY_MS);
    const repositories = fixture.repositories({ instance: instanceNamed(id) });
    return {
      repositories,
      /** A turn `msg_<name>` streaming, with its tool call `call_<name>` running. */
      async startTurn(name: string, at = clock.now()) {
        await startTurnInNewConversation(repositories, { name, userId: 'usr_1', at });
        await repositories.toolCalls.insert({
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
    repositories: Pick<Repositories, 'toolCalls' | 'conversations' | 'instances'>,
    options: { logger?: Logger; snapshotRetentionMs?: number } = {},
  ) =>
    createAbandonedWorkSweeper({
      toolCallsRepository: repositories.toolCalls,
      conversationsRepository: repositories.conversations,
      instancesRepository: repositories.instances,
      clock,
      logger: options.logger ?? silent,
      callTimeoutMs: 60_000,
      turnTimeoutMs: 300_000,
      intervalMs: 15_000,
      snapshotRetentionMs: options.snapshotRetentionMs,
    });
  const reader = fixture.repositories();
  const statusesOf = async (name: string) => ({
    turn: (await reader.conversations.listMessages(`conv_${name}`)).find(
      (message) => message.id === `msg_${name}`,
    )?.status,
    call: (await reader.toolCalls.findForUser('usr_1', `call_${name}`))?.status,
  });
  return { clock, instanceOf, sweeperFor, statusesOf, reader };
}

describeOnEachDatabase('work left behind by a crashed process', (fixture) => {
  it("is closed as aborted once its instance's heartbeat stopped, while live instances' work is left alone", async () => {
    await seedUser(fixture, 'usr_1');
    const { instanceOf, sweeperFor, statusesOf, reader } = setUp(fixture);
    const sweeping = await instanceOf('inst_sweeping', 0);
    await (await instanceOf('inst_dead', EXPIRY_MS + 1_000)).startTurn('dead');
    await (await instanceOf('inst_gone')).startTurn('gone'); // its row was already forgotten
    await (await instanceOf('inst_live', 2_000)).startTurn('live');
    await sweeping.startTurn('mine');

    expect(await sweeperFor(sweeping.repositories).sweep()).toEqual({ toolCalls: 2, turns: 2 });
    expect(await statusesOf('dead')).toEqual({ turn: 'aborted', call: 'aborted' });
    expect(await statusesOf('gone')).toEqual({ turn: 'aborted', call: 'aborted' });
    expect(await statusesOf('live')).toEqual({ turn: 'streaming', call: 'running' });
    expect(await statusesOf('mine')).toEqual({ turn: 'streaming', call: 'running' });
    expect((await reader.instances.list()).map((row) => row.id).sort()).toEqual([
      'inst_live',
      'inst_sweeping',
    ]);
  });

  it('without a recorded instance, is closed as aborted only once older than the time limits', async () => {
    await seedUser(fixture, 'usr_1');
    const { clock, instanceOf, sweeperFor, statusesOf } = setUp(fixture);
    const legacy = await instanceOf('inst_old', 0);
    await legacy.startTurn('crashed', clock.now() - 60 * 60_000);
    await legacy.startTurn('recent', clock.now() - 1_000);
    for (const name of ['crashed', 'recent']) {
      await forgetOwner(fixture, 'messages', `msg_${name}`);
      await forgetOwner(fixture, 'tool_calls', `call_${name}`);
    }

    const sweeping = await instanceOf('inst_sweeping', 0);
    expect(await sweeperFor(sweeping.repositories).sweep()).toEqual({ toolCalls: 1, turns: 1 });
    expect(await statusesOf('crashed')).toEqual({ turn: 'aborted', call: 'aborted' });
    expect(await statusesOf('recent')).toEqual({ turn: 'streaming', call: 'running' });
  });

  it('a sweep that fails (the database closed or failing) is logged and never throws out of the timer', async () => {
    await seedUser(fixture, 'usr_1');
    const { instanceOf, sweeperFor } = setUp(fixture);
    const logs: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => logs.push(line) } });
    const failures = () => logs.filter((line) => line.includes('sweeping abandoned work failed'));
    const sweeping = await instanceOf('inst_sweeping', 0);
    const throwing = sweeperFor(
      {
        ...sweeping.repositories,
        toolCalls: {
          ...sweeping.repositories.toolCalls,
          abortRunningOfDeadInstances: async () => {
            throw new Error('disk on fire');
          },
        },
      },
      { logger },
    );
    expect(() => throwing.start()).not.toThrow();
    throwing.stop();
    await vi.waitFor(() => expect(failures()).toHaveLength(1));

    const closed = sweeperFor(await repositoriesOnClosedDatabase(fixture), { logger });
    expect(() => closed.start()).not.toThrow();
    closed.stop();
    await vi.waitFor(() => expect(failures()).toHaveLength(2));
    expect(failures()[1]).toContain('The database is busy or unavailable');
  });

  it("forgets write calls' before-states past SNAPSHOT_RETENTION_DAYS, keeping newer ones", async () => {
    await seedUser(fixture, 'usr_1');
    const { clock, instanceOf, sweeperFor, reader } = setUp(fixture);
    const sweeping = await instanceOf('inst_sweeping', 0);
    await sweeping.startTurn('old');
    await sweeping.startTurn('new');
    const { toolCalls } = sweeping.repositories;
    await toolCalls.storeSnapshot('call_old', 'v1.sealed-old', clock.now() - 31 * 86_400_000);
    await toolCalls.storeSnapshot('call_new', 'v1.sealed-new', clock.now() - 86_400_000);
    await sweeperFor(sweeping.repositories, { snapshotRetentionMs: 30 * 86_400_000 }).sweep();
    expect((await reader.toolCalls.findForUser('usr_1', 'call_old'))?.snapshot).toBeNull();
    expect((await reader.toolCalls.findForUser('usr_1', 'call_new'))?.snapshot).toBe('v1.sealed-new');
  });
});
