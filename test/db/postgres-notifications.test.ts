import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase, type PostgresDatabase } from '../../src/db/postgres-database.js';
import {
  createPostgresNotifications,
  notifyStatement,
  type PostgresNotifications,
} from '../../src/db/postgres-notifications.js';
import { createLogger } from '../../src/shared/logger.js';
import { hasPostgres, startTestDatabase, type TestDatabase } from '../support/postgres.js';

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe.skipIf(!hasPostgres)('PostgreSQL notifications', () => {
  let server: TestDatabase;
  let db: PostgresDatabase;
  const opened: PostgresNotifications[] = [];
  const open = () => {
    const notifications = createPostgresNotifications({
      url: server.url,
      logger: createLogger({ level: 'silent' }),
      reconnectDelays: { firstMs: 20, maxMs: 200 },
    });
    opened.push(notifications);
    return notifications;
  };
  const send = (channel: string, payload: string) => db.execute(notifyStatement(channel, payload));
  const listenerBackends = async () =>
    (
      await db.$client.query<{ pid: number }>(
        "select pid from pg_stat_activity where application_name = 'wps-agent-listener' and datname = current_database()",
      )
    ).rows;

  beforeAll(async () => {
    server = await startTestDatabase();
    db = openPostgresDatabase(server.url);
  }, 60_000);
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((notifications) => notifications.close()));
  });
  afterAll(async () => {
    await db?.$client.end();
    await server?.stop();
  });

  it('delivers each channel its own payloads, to every subscriber, until it unsubscribes', async () => {
    const notifications = open();
    const heard: string[] = [];
    const stopA = await notifications.subscribe('channel_a', (payload) => heard.push(`a1:${payload}`));
    await notifications.subscribe('channel_a', (payload) => heard.push(`a2:${payload}`));
    await notifications.subscribe('channel_b', (payload) => heard.push(`b:${payload}`));
    await send('channel_a', 'one');
    await send('channel_b', 'two');
    await send('channel_c', 'nobody listens');
    await waitFor(() => heard.length === 3);
    expect(heard.sort()).toEqual(['a1:one', 'a2:one', 'b:two']);
    stopA();
    await send('channel_a', 'three');
    await waitFor(() => heard.length === 4);
    await sleep(50);
    expect(heard.filter((entry) => entry.endsWith('three'))).toEqual(['a2:three']);
  });

  it('one LISTEN connection per process, opened only when something subscribes', async () => {
    const notifications = open();
    await sleep(50);
    expect(await listenerBackends()).toHaveLength(0);
    await notifications.subscribe('channel_a', () => {});
    await notifications.subscribe('channel_b', () => {});
    expect(await listenerBackends()).toHaveLength(1);
  });

  it('a notification sent in a transaction arrives when it commits, and never when it rolls back', async () => {
    const notifications = open();
    const heard: string[] = [];
    await notifications.subscribe('channel_a', (payload) => heard.push(payload));
    await db
      .transaction(async (transaction) => {
        await transaction.execute(notifyStatement('channel_a', 'rolled back'));
        throw new Error('roll back');
      })
      .catch(() => {});
    await db.transaction(async (transaction) => {
      await transaction.execute(notifyStatement('channel_a', 'committed'));
      await sleep(100);
      expect(heard).toEqual([]);
    });
    await waitFor(() => heard.length > 0);
    await sleep(50);
    expect(heard).toEqual(['committed']);
  });

  it('reconnects after the connection is killed, listens again, and says notifications may have been missed', async () => {
    const notifications = open();
    const heard: string[] = [];
    let reconnects = 0;
    notifications.onReconnect(() => reconnects++);
    await notifications.subscribe('channel_a', (payload) => heard.push(payload));
    const [backend] = await listenerBackends();
    await db.$client.query('select pg_terminate_backend($1)', [backend!.pid]);
    await waitFor(() => reconnects === 1);
    const [replacement] = await listenerBackends();
    expect(replacement!.pid).not.toBe(backend!.pid);
    await send('channel_a', 'after the drop');
    await waitFor(() => heard.includes('after the drop'));
  });

  it('keeps retrying, backing off, while the database is unreachable; subscribing meanwhile does not hang', async () => {
    const logs: string[] = [];
    const notifications = createPostgresNotifications({
      url: 'postgres://postgres@127.0.0.1:1/nothing',
      logger: createLogger({ level: 'warn', destination: { write: (line: string) => logs.push(line) } }),
      reconnectDelays: { firstMs: 20, maxMs: 80 },
    });
    opened.push(notifications);
    const started = performance.now();
    const unsubscribe = await notifications.subscribe('channel_a', () => {});
    expect(performance.now() - started).toBeLessThan(2_000);
    await waitFor(() => logs.length >= 4);
    const delays = logs.map((line) => JSON.parse(line).retryInMs);
    expect(delays.slice(0, 4)).toEqual([20, 40, 80, 80]);
    unsubscribe();
  });

  it('close ends the listening connection', async () => {
    const notifications = open();
    await notifications.subscribe('channel_a', () => {});
    expect(await listenerBackends()).toHaveLength(1);
    await notifications.close();
    await waitFor(async () => (await listenerBackends()).length === 0);
    await expect(notifications.subscribe('channel_a', () => {})).rejects.toThrow(/closed/);
  });

  it('refuses channel names that are not plain identifiers', async () => {
    const notifications = open();
    await expect(notifications.subscribe('a"; drop table users; --', () => {})).rejects.toThrow(
      /channel name/,
    );
  });
});
