import { expect, it } from 'vitest';
import type { InstanceRow } from '../../src/instances/instances.repository.js';
import { describeOnEachDatabase } from '../support/test-databases.js';

const T0 = Date.UTC(2026, 5, 1);
const EXPIRY_MS = 30_000;
const row = (id: string, heartbeatAt: number): InstanceRow => ({
  id,
  pid: 4242,
  host: 'host-a',
  startedAt: T0,
  heartbeatAt,
  expiresAt: heartbeatAt + EXPIRY_MS,
});

describeOnEachDatabase('instances repository', (fixture) => {
  it('registers instances and lists them', async () => {
    const { instances } = fixture.repositories();
    await instances.register(row('inst_a', T0));
    await instances.register(row('inst_b', T0 + 1));
    const listed = await instances.list();
    expect(listed.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      row('inst_a', T0),
      row('inst_b', T0 + 1),
    ]);
  });

  it('a heartbeat moves the expiry forward, and brings back a row a peer swept during a long pause', async () => {
    const { instances } = fixture.repositories();
    await instances.register(row('inst_a', T0));
    await instances.heartbeat(row('inst_a', T0 + 5_000));
    expect(await instances.list()).toEqual([row('inst_a', T0 + 5_000)]);
    expect(await instances.deleteExpired(T0 + 5_000 + EXPIRY_MS + 1)).toBe(1);
    expect(await instances.list()).toEqual([]);
    await instances.heartbeat(row('inst_a', T0 + 40_000));
    expect(await instances.list()).toEqual([row('inst_a', T0 + 40_000)]);
  });

  it('deletes only the instances past their expiry, and a clean shutdown deletes its own row', async () => {
    const { instances } = fixture.repositories();
    await instances.register(row('inst_old', T0));
    await instances.register(row('inst_new', T0 + 20_000));
    await instances.register(row('inst_leaving', T0 + 20_000));
    expect(await instances.deleteExpired(T0 + EXPIRY_MS + 1)).toBe(1);
    await instances.deregister('inst_leaving');
    await instances.deregister('inst_unknown');
    expect((await instances.list()).map((found) => found.id)).toEqual(['inst_new']);
  });

  it('an instance id is registered once', async () => {
    const { instances } = fixture.repositories();
    await instances.register(row('inst_a', T0));
    await expect(instances.register(row('inst_a', T0 + 1))).rejects.toThrow();
  });
});
