import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Repositories } from '../../src/db/repositories.js';
import { openPostgresPeer, warmPool } from '../support/postgres-peer.js';
import { describeOnEachDatabase } from '../support/test-databases.js';

const T0 = Date.UTC(2026, 5, 1);
const TTL_MS = 10 * 60_000;

describeOnEachDatabase('pending authorizations repository', (fixture) => {
  let repositories: Repositories;
  let pending: Repositories['pendingAuthorizations'];
  const peers: Array<{ close: () => Promise<void> }> = [];

  beforeEach(async () => {
    repositories = fixture.repositories();
    pending = repositories.pendingAuthorizations;
    await repositories.users.insertUser({ id: 'usr_a', name: 'ann', createdAt: T0 });
    await repositories.users.insertUser({ id: 'usr_b', name: 'ben', createdAt: T0 });
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((peer) => peer.close()));
  });

  /** The pending authorizations as another instance sees them (a second pool on PostgreSQL). */
  const otherInstance = async () => {
    const database = fixture.database();
    if (database.dialect === 'sqlite') return pending;
    const peer = openPostgresPeer(fixture.url());
    peers.push(peer);
    await Promise.all([warmPool(database.db, 5), warmPool(peer.db, 5)]);
    return peer.repositories.pendingAuthorizations;
  };

  const start = (stateHash: string, userId = 'usr_a', createdAt = T0) =>
    pending.insert({
      stateHash,
      userId,
      codeVerifierCiphertext: 'sealed-verifier',
      authorizeUrlCiphertext: `sealed-url-${stateHash}`,
      redirectUri: 'http://agent.test/callback',
      tokenUrl: 'http://wps.test/token',
      scopes: 'kso.file.read',
      createdAt,
      expiresAt: createdAt + TTL_MS,
    });
  const liveStates = async (userId: string, now: number) => {
    const states = ['s1', 's2', 's3', 's4', 's5', 'b1'];
    const rows = await Promise.all(states.map((state) => pending.findByStateHash(state)));
    return rows
      .filter(
        (row) =>
          row?.userId === userId && row.usedAt === null && row.cancelledAt === null && row.expiresAt > now,
      )
      .map((row) => row?.stateHash)
      .sort();
  };

  it('finds an authorization by its state hash with the name of the user who started it', async () => {
    await start('s1');
    expect(await pending.findByStateHash('s1')).toMatchObject({
      stateHash: 's1',
      userId: 'usr_a',
      userName: 'ann',
      usedAt: null,
      cancelledAt: null,
      failedConfirmations: 0,
      codeCiphertext: null,
      expiresAt: T0 + TTL_MS,
    });
    expect(await pending.findByStateHash('unknown')).toBeUndefined();
    expect(await pending.countOfUser('usr_a')).toBe(1);
    expect(await pending.countOfUser('usr_b')).toBe(0);
  });

  it("keeps a user's newest live authorizations and cancels the older ones, never another user's", async () => {
    await start('s1', 'usr_a', T0);
    await start('s2', 'usr_a', T0 + 1);
    await start('s3', 'usr_a', T0 + 2);
    await start('s4', 'usr_a', T0 + 3);
    await start('b1', 'usr_b', T0);
    expect(await pending.cancelLiveBeyond('usr_a', 3, T0 + 10)).toBe(1);
    expect(await liveStates('usr_a', T0 + 10)).toEqual(['s2', 's3', 's4']);
    expect(await liveStates('usr_b', T0 + 10)).toEqual(['b1']);
    const cancelled = await pending.findByStateHash('s1');
    expect(cancelled).toMatchObject({
      cancelledAt: T0 + 10,
      authorizeUrlCiphertext: null,
      codeCiphertext: null,
    });
    expect(await pending.cancelLiveBeyond('usr_a', 3, T0 + 10)).toBe(0);
  });

  it('authorizations started in the same millisecond are ordered by state hash, the same on both databases', async () => {
    for (const state of ['s3', 's1', 's4', 's2']) await start(state, 'usr_a', T0);
    expect((await pending.findReusable('usr_a', T0, T0))?.stateHash).toBe('s4');
    expect(await pending.cancelLiveBeyond('usr_a', 2, T0 + 1)).toBe(2);
    expect(await liveStates('usr_a', T0 + 1)).toEqual(['s3', 's4']);
  });

  it('hands out the newest live authorization no callback reached that lives past the given time', async () => {
    await start('s1', 'usr_a', T0);
    await start('s2', 'usr_a', T0 + 1_000);
    await start('b1', 'usr_b', T0 + 2_000);
    expect((await pending.findReusable('usr_a', T0 + 2_000, T0 + 5_000))?.stateHash).toBe('s2');
    // Past s2's expiry minus the margin: none is reusable.
    expect(await pending.findReusable('usr_a', T0 + 2_000, T0 + 1_000 + TTL_MS)).toBeUndefined();
    await pending.holdCode(
      's2',
      { codeCiphertext: 'sealed-code', confirmationTokenHash: 'c2', expiresAt: T0 + TTL_MS },
      T0 + 3_000,
    );
    expect((await pending.findReusable('usr_a', T0 + 3_000, T0 + 5_000))?.stateHash).toBe('s1');
    expect(await pending.claim('s1', T0 + 3_000)).toBe(true);
    expect(await pending.findReusable('usr_a', T0 + 3_000, T0 + 5_000)).toBeUndefined();
    expect(await pending.findReusable('usr_c', T0, T0)).toBeUndefined();
  });

  it('holds a code for confirmation, found by the confirmation token; only that confirmation can claim it', async () => {
    await start('s1');
    const held = {
      codeCiphertext: 'sealed-code',
      confirmationTokenHash: 'confirm_1',
      expiresAt: T0 + 60_000,
    };
    expect(await pending.holdCode('s1', held, T0 + 1)).toBe(true);
    expect(await pending.holdCode('unknown', held, T0 + 1)).toBe(false);
    expect(await pending.findByConfirmationTokenHash('confirm_1')).toMatchObject({
      stateHash: 's1',
      userName: 'ann',
      ...held,
    });
    expect(await pending.findByConfirmationTokenHash('confirm_other')).toBeUndefined();
    expect(await pending.claim('s1', T0 + 2, 'confirm_other')).toBe(false);
    expect(await pending.claim('s1', T0 + 2, 'confirm_1')).toBe(true);
    expect(await pending.findByStateHash('s1')).toMatchObject({
      usedAt: T0 + 2,
      codeCiphertext: null,
      authorizeUrlCiphertext: null,
    });
    // A used authorization connects nothing more: no second claim, no new held code.
    expect(await pending.claim('s1', T0 + 3, 'confirm_1')).toBe(false);
    expect(await pending.holdCode('s1', held, T0 + 3)).toBe(false);
  });

  it('an expired or cancelled authorization cannot be claimed', async () => {
    await start('s1');
    await start('s2', 'usr_a', T0 + 1);
    expect(await pending.claim('s1', T0 + TTL_MS)).toBe(false);
    expect(await pending.cancelLiveBeyond('usr_a', 0, T0 + TTL_MS)).toBe(1); // s1 expired: only s2 was live
    expect(await pending.claim('s2', T0 + TTL_MS)).toBe(false);
  });

  it('ten concurrent claims of one state, from two instances, have exactly one winner', async () => {
    await start('s1');
    const other = await otherInstance();
    const claims = Array.from({ length: 10 }, (_, at) =>
      (at % 2 === 0 ? pending : other).claim('s1', T0 + 1),
    );
    expect((await Promise.all(claims)).filter(Boolean)).toHaveLength(1);
  });

  it('the failed confirmation that reaches the limit cancels the authorization and drops the held code', async () => {
    await start('s1');
    await pending.holdCode(
      's1',
      { codeCiphertext: 'sealed-code', confirmationTokenHash: 'c1', expiresAt: T0 + 60_000 },
      T0,
    );
    expect(await pending.recordFailedConfirmation('s1', 3, T0 + 1)).toEqual({
      failedConfirmations: 1,
      cancelled: false,
    });
    expect(await pending.recordFailedConfirmation('s1', 3, T0 + 2)).toEqual({
      failedConfirmations: 2,
      cancelled: false,
    });
    expect((await pending.findByStateHash('s1'))?.codeCiphertext).toBe('sealed-code');
    expect(await pending.recordFailedConfirmation('s1', 3, T0 + 3)).toEqual({
      failedConfirmations: 3,
      cancelled: true,
    });
    expect(await pending.findByStateHash('s1')).toMatchObject({ cancelledAt: T0 + 3, codeCiphertext: null });
    expect(await pending.recordFailedConfirmation('s1', 3, T0 + 4)).toBeUndefined();
    expect(await pending.recordFailedConfirmation('unknown', 3, T0 + 4)).toBeUndefined();
  });

  it('concurrent wrong confirmations from two instances are each counted once, and only the limit cancels', async () => {
    await start('s1');
    const other = await otherInstance();
    const attempts = await Promise.all(
      Array.from({ length: 10 }, (_, at) =>
        (at % 2 === 0 ? pending : other).recordFailedConfirmation('s1', 5, T0 + 1),
      ),
    );
    const counted = attempts.filter((attempt) => attempt !== undefined);
    expect(counted.map((attempt) => attempt.failedConfirmations).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect(counted.filter((attempt) => attempt.cancelled)).toEqual([
      { failedConfirmations: 5, cancelled: true },
    ]);
    expect(await pending.findByStateHash('s1')).toMatchObject({
      failedConfirmations: 5,
      cancelledAt: T0 + 1,
    });
  });

  it('housekeeping deletes only the authorizations that expired before the given time', async () => {
    await start('s1', 'usr_a', T0);
    await start('s2', 'usr_a', T0 + 60_000);
    expect(await pending.deleteExpired(T0 + TTL_MS + 1)).toBe(1);
    expect(await pending.findByStateHash('s1')).toBeUndefined();
    expect(await pending.findByStateHash('s2')).toBeDefined();
  });
});
