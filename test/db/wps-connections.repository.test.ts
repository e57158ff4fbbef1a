import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createRepositories, type Repositories, type RepositoryOptions } from '../../src/db/repositories.js';
import type { InstanceIdentity } from '../../src/instances/instance-liveness.js';
import type { SealedTokenPair } from '../../src/wps-auth/wps-connections.repository.js';
import { openPostgresPeer, warmPool } from '../support/postgres-peer.js';
import { describeOnEachDatabase, itOn } from '../support/test-databases.js';

const T0 = Date.UTC(2026, 5, 1);
const LEASE_MS = 30_000;
const EXPIRY_MS = 30_000;
const pair = (name: string): SealedTokenPair => ({
  accessTokenCiphertext: `sealed-access-${name}`,
  refreshTokenCiphertext: `sealed-refresh-${name}`,
  refreshTokenHash: `hash-${name}`,
  accessExpiresAt: T0 + 3_600_000,
  refreshExpiresAt: null,
  scopes: 'kso.file.read',
});
const instanceNamed = (id: string): InstanceIdentity => ({ id, expiryMs: EXPIRY_MS });

describeOnEachDatabase('wps connections repository', (fixture) => {
  let repositories: Repositories;
  let connections: Repositories['wpsConnections'];
  const peers: Array<{ close: () => Promise<void> }> = [];

  beforeEach(async () => {
    repositories = fixture.repositories({ instance: instanceNamed('inst_a') });
    connections = repositories.wpsConnections;
    await repositories.users.insertUser({ id: 'usr_a', name: 'ann', createdAt: T0 });
    await repositories.users.insertUser({ id: 'usr_b', name: 'ben', createdAt: T0 });
    await connections.storeAuthorized('usr_a', { ...pair('one'), tokenUrl: 'http://wps.test/token' }, T0);
    // Both instances alive by the callers' clocks, whichever of T0 or the real time a test passes as now.
    for (const id of ['inst_a', 'inst_b'])
      await repositories.instances.register({
        id,
        pid: 1,
        host: id,
        startedAt: T0,
        heartbeatAt: T0,
        expiresAt: Date.now() + 3_600_000,
      });
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((peer) => peer.close()));
  });

  /** Another instance's repositories: its own pool and listener on PostgreSQL, the same file on SQLite. */
  const otherInstance = async (options: Omit<RepositoryOptions, 'notifications'>) => {
    const database = fixture.database();
    if (database.dialect === 'sqlite') return fixture.repositories(options);
    const peer = openPostgresPeer(fixture.url(), options);
    peers.push(peer);
    await Promise.all([warmPool(database.db, 10), warmPool(peer.db, 10)]);
    return peer.repositories;
  };
  /** `owner` asks for usr_a's lease through `through` (this instance's repository unless told). */
  const acquire = (
    owner: string,
    options: { now?: number; leaseMs?: number; hash?: string; through?: typeof connections } = {},
  ) =>
    (options.through ?? connections).acquireRefreshLease({
      userId: 'usr_a',
      refreshTokenHash: options.hash ?? 'hash-one',
      owner,
      now: options.now ?? T0,
      leaseMs: options.leaseMs ?? LEASE_MS,
    });
  /** How long `waitForRefresh` took, while `change` runs `afterMs` into the wait. */
  const timeWait = async (options: {
    userId?: string;
    timeoutMs: number;
    change?: () => Promise<unknown>;
    afterMs?: number;
  }) => {
    // The set-up's own writes notified too; let those land first, or they wake this waiter early.
    if (fixture.dialect === 'postgres') await sleep(50);
    const started = performance.now();
    const waiting = connections.waitForRefresh(options.userId ?? 'usr_a', options.timeoutMs);
    if (options.change) {
      await sleep(options.afterMs ?? 100);
      await options.change();
    }
    await waiting;
    return performance.now() - started;
  };

  itOn(fixture, 'postgres')(
    'without a notifications listener, waiting on PostgreSQL falls back to one short poll',
    async () => {
      const unannounced = createRepositories(fixture.database(), { instance: instanceNamed('inst_a') });
      expect(await acquire('inst_b')).toBe(true);
      const started = performance.now();
      await unannounced.wpsConnections.waitForRefresh('usr_a', 10_000);
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(20);
      expect(waited).toBeLessThan(2_000); // one poll, far from the timeout (slack for a busy CI)
    },
  );

  it('stores a completed authorization, and a new one replaces it whatever it held', async () => {
    expect(await connections.find('usr_a')).toMatchObject({
      status: 'connected',
      ...pair('one'),
      tokenUrl: 'http://wps.test/token',
      generation: 1,
      refreshLeaseOwner: null,
      createdAt: T0,
      updatedAt: T0,
    });
    expect(await acquire('inst_a')).toBe(true);
    await connections.markReauthorizationRequiredIfCurrent('usr_a', 'hash-one', T0 + 1);
    await connections.storeAuthorized(
      'usr_a',
      { ...pair('two'), tokenUrl: 'http://wps.test/token2' },
      T0 + 2,
    );
    expect(await connections.find('usr_a')).toMatchObject({
      status: 'connected',
      ...pair('two'),
      tokenUrl: 'http://wps.test/token2',
      generation: 2,
      refreshLeaseOwner: null,
      refreshLeaseUntil: null,
      createdAt: T0,
      updatedAt: T0 + 2,
    });
    expect(await connections.find('usr_b')).toBeUndefined();
  });

  it('stores a rotated pair only over the pair whose refresh token was used, and frees the lease', async () => {
    expect(await acquire('inst_a')).toBe(true);
    expect(await connections.replaceIfCurrent('usr_a', 'hash-stale', pair('two'), T0 + 1)).toBe(false);
    expect(await connections.replaceIfCurrent('usr_b', 'hash-one', pair('two'), T0 + 1)).toBe(false);
    expect(await connections.replaceIfCurrent('usr_a', 'hash-one', pair('two'), T0 + 1)).toBe(true);
    expect(await connections.find('usr_a')).toMatchObject({
      ...pair('two'),
      generation: 2,
      refreshLeaseOwner: null,
      refreshLeaseUntil: null,
      updatedAt: T0 + 1,
    });
    // A slow refresh that used the first token comes back late: it must not undo the newer pair.
    expect(await connections.replaceIfCurrent('usr_a', 'hash-one', pair('late'), T0 + 2)).toBe(false);
    expect((await connections.find('usr_a'))?.refreshTokenHash).toBe('hash-two');
  });

  it('marks re-authorization only while the rejected refresh token is still the stored one', async () => {
    await connections.replaceIfCurrent('usr_a', 'hash-one', pair('two'), T0 + 1);
    expect(await connections.markReauthorizationRequiredIfCurrent('usr_a', 'hash-one', T0 + 2)).toBe(false);
    expect((await connections.find('usr_a'))?.status).toBe('connected');
    expect(await connections.markReauthorizationRequiredIfCurrent('usr_a', 'hash-two', T0 + 3)).toBe(true);
    expect(await connections.find('usr_a')).toMatchObject({
      status: 'reauthorization_required',
      updatedAt: T0 + 3,
    });
  });

  it('twenty concurrent lease requests from two instances have exactly one winner', async () => {
    const other = (await otherInstance({ instance: instanceNamed('inst_b') })).wpsConnections;
    const requests = Array.from({ length: 20 }, (_, at) =>
      at % 2 === 0 ? acquire('inst_a') : acquire('inst_b', { through: other }),
    );
    expect((await Promise.all(requests)).filter(Boolean)).toHaveLength(1);
  });

  it('no lease over a refresh token that is no longer the stored one', async () => {
    expect(await acquire('inst_a', { hash: 'hash-stale' })).toBe(false);
    expect((await connections.find('usr_a'))?.refreshLeaseOwner).toBeNull();
  });

  it('a live lease of a live instance is not taken; once its holder releases it, it is', async () => {
    const other = (await otherInstance({ instance: instanceNamed('inst_b') })).wpsConnections;
    expect(await acquire('inst_a')).toBe(true);
    expect(await acquire('inst_b', { now: T0 + 1, through: other })).toBe(false);
    await other.releaseRefreshLease('usr_a', 'inst_b'); // not its lease: nothing changes
    expect((await connections.find('usr_a'))?.refreshLeaseOwner).toBe('inst_a');
    await connections.releaseRefreshLease('usr_a', 'inst_a');
    expect(await acquire('inst_b', { now: T0 + 2, through: other })).toBe(true);
  });

  it('a lease held by a dead instance is taken over at once, long before it runs out', async () => {
    const dead = (await otherInstance({ instance: instanceNamed('inst_dead') })).wpsConnections;
    await repositories.instances.register({
      id: 'inst_dead',
      pid: 1,
      host: 'b',
      startedAt: T0,
      heartbeatAt: T0,
      expiresAt: T0 + EXPIRY_MS,
    });
    expect(await acquire('inst_dead', { through: dead })).toBe(true);
    // inst_dead's heartbeat is still fresh at T0 + 1 s: its lease stands.
    expect(await acquire('inst_a', { now: T0 + 1_000 })).toBe(false);
    // Past its expiry (kill -9: no more heartbeats), while its lease would run for many seconds more.
    expect(await acquire('inst_a', { now: T0 + EXPIRY_MS + 1 })).toBe(true);
    expect((await connections.find('usr_a'))?.refreshLeaseOwner).toBe('inst_a');
  });

  it('a lease that ran out is taken over', async () => {
    const startedAt = Date.now();
    expect(await acquire('inst_b', { now: startedAt, leaseMs: 50 })).toBe(true);
    await sleep(80);
    expect(await acquire('inst_a', { now: Date.now() })).toBe(true);
  });

  itOn(fixture, 'postgres')("lease times come from the database clock, not the caller's", async () => {
    // A caller whose clock runs half an hour ahead still cannot take a lease that is live by the database clock.
    expect(await acquire('inst_b', { now: Date.now(), leaseMs: 200 })).toBe(true);
    expect(await acquire('inst_a', { now: Date.now() + 1_800_000 })).toBe(false);
    const { refreshLeaseUntil } = (await connections.find('usr_a'))!;
    expect(Math.abs(refreshLeaseUntil! - (Date.now() + 200))).toBeLessThan(1_000);
    // And one whose clock stands still takes it over once the database clock has passed the lease.
    await sleep(250);
    expect(await acquire('inst_a', { now: T0 })).toBe(true);
  });

  it("deleting a connection removes only that user's", async () => {
    await connections.storeAuthorized('usr_b', { ...pair('b'), tokenUrl: 'http://wps.test/token' }, T0);
    expect(await connections.delete('usr_a')).toBe(true);
    expect(await connections.delete('usr_a')).toBe(false);
    expect(await connections.find('usr_a')).toBeUndefined();
    expect((await connections.find('usr_b'))?.refreshTokenHash).toBe('hash-b');
  });

  itOn(fixture, 'sqlite')('waiting for a refresh is one short poll on SQLite', async () => {
    expect(await acquire('inst_a')).toBe(true);
    const waited = await timeWait({ timeoutMs: 5_000 });
    expect(waited).toBeGreaterThanOrEqual(20);
    expect(waited).toBeLessThan(2_000); // one poll, far from the timeout (slack for a busy CI)
  });

  itOn(fixture, 'postgres')(
    'a waiter wakes within moments of the holder storing the refresh from another instance, long before its timeout',
    async () => {
      const holder = (await otherInstance({ instance: instanceNamed('inst_b') })).wpsConnections;
      expect(await acquire('inst_b', { through: holder })).toBe(true);
      const waited = await timeWait({
        timeoutMs: 10_000,
        afterMs: 200,
        change: () => holder.replaceIfCurrent('usr_a', 'hash-one', pair('two'), T0 + 1),
      });
      expect(waited).toBeGreaterThanOrEqual(200);
      expect(waited).toBeLessThan(2_000); // 6-13 ms after the change began, measured idle; slack for a busy CI
    },
  );

  itOn(fixture, 'postgres')('every write that ends a refresh wakes the waiters of that user', async () => {
    const holder = (await otherInstance({ instance: instanceNamed('inst_b') })).wpsConnections;
    const lease = () => acquire('inst_b', { through: holder });
    const ends = [
      () => holder.releaseRefreshLease('usr_a', 'inst_b'),
      () => holder.markReauthorizationRequiredIfCurrent('usr_a', 'hash-one', T0 + 1),
      () => holder.storeAuthorized('usr_a', { ...pair('one'), tokenUrl: 'http://wps.test/token' }, T0 + 2),
      () => holder.delete('usr_a'),
    ];
    for (const end of ends) {
      if ((await connections.find('usr_a'))?.refreshTokenHash !== 'hash-one')
        await holder.storeAuthorized('usr_a', { ...pair('one'), tokenUrl: 'http://wps.test/token' }, T0);
      expect(await lease()).toBe(true);
      expect(await timeWait({ timeoutMs: 10_000, afterMs: 50, change: end })).toBeLessThan(3_000);
    }
  });

  itOn(fixture, 'postgres')("another user's changes do not wake the waiter; the timeout does", async () => {
    await connections.storeAuthorized('usr_b', { ...pair('b'), tokenUrl: 'http://wps.test/token' }, T0);
    expect(await acquire('inst_a')).toBe(true);
    const other = (await otherInstance({ instance: instanceNamed('inst_b') })).wpsConnections;
    const waited = await timeWait({ timeoutMs: 400, afterMs: 50, change: () => other.delete('usr_b') });
    expect(waited).toBeGreaterThanOrEqual(390);
  });

  itOn(fixture, 'postgres')(
    'with no live lease to wait for, waiting returns at once; otherwise at most until it runs out',
    async () => {
      expect(await timeWait({ timeoutMs: 10_000 })).toBeLessThan(2_000);
      expect(await timeWait({ userId: 'usr_b', timeoutMs: 10_000 })).toBeLessThan(2_000);
      expect(await acquire('inst_a', { now: Date.now(), leaseMs: 400 })).toBe(true);
      const waited = await timeWait({ timeoutMs: 10_000 }); // starts some 50 ms into the lease
      expect(waited).toBeGreaterThanOrEqual(200);
      expect(waited).toBeLessThan(3_000);
    },
  );
});
