import { expect, it } from 'vitest';
import { openPostgresDatabase } from '../../src/db/postgres-database.js';
import { createPostgresUsersRepository } from '../../src/users/users.postgres.js';
import type { ApiKeyRow, User } from '../../src/users/users.repository.js';
import { warmPool } from '../support/postgres-peer.js';
import { describeOnEachDatabase, itOn } from '../support/test-databases.js';

const T0 = Date.UTC(2026, 5, 1);
const user = (id: string, name: string, createdAt = T0): User => ({ id, name, createdAt });
const key = (id: string, userId: string, keyHash: string, createdAt = T0): ApiKeyRow => ({
  id,
  userId,
  keyHash,
  prefix: 'wpsa_abc',
  createdAt,
});

describeOnEachDatabase('users repository', (fixture) => {
  it('lists users oldest first, counts them and finds them by id and by name', async () => {
    const { users } = fixture.repositories();
    await users.insertUser(user('usr_b', 'ben', T0 + 1));
    await users.insertUser(user('usr_a', 'ann', T0));
    await users.insertUser(user('usr_c', 'cai', T0 + 1));
    expect((await users.listUsers()).map((found) => found.name)).toEqual(['ann', 'ben', 'cai']);
    expect(await users.countUsers()).toBe(3);
    expect(await users.findUserById('usr_b')).toEqual(user('usr_b', 'ben', T0 + 1));
    expect(await users.findUserByName('cai')).toEqual(user('usr_c', 'cai', T0 + 1));
    expect(await users.findUserById('usr_nobody')).toBeUndefined();
    expect(await users.findUserByName('nobody')).toBeUndefined();
  });

  it('a second user with a taken name is refused', async () => {
    const { users } = fixture.repositories();
    await users.insertUser(user('usr_a', 'ann'));
    await expect(users.insertUser(user('usr_b', 'ann'))).rejects.toThrow();
    expect(await users.countUsers()).toBe(1);
  });

  it("a refused write surfaces the driver's error, never the statement's parameters (key hashes, sealed tokens)", async () => {
    const { users } = fixture.repositories();
    await users.insertUser(user('usr_a', 'ann'));
    await users.insertApiKey(key('key_a', 'usr_a', 'hash-never-in-an-error'));
    const refused = await users.insertApiKey(key('key_a', 'usr_a', 'hash-never-in-an-error')).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(refused).toBeInstanceOf(Error);
    // drizzle's wrapper quotes the query and its parameters: only the driver's own error travels on.
    expect(refused?.constructor.name).not.toBe('DrizzleQueryError');
    expect(`${refused?.message} ${refused?.stack}`).not.toContain('hash-never-in-an-error');
  });

  it('a user and its first key are stored together, or neither when the key cannot be', async () => {
    const { users } = fixture.repositories();
    await users.insertUserWithApiKey(user('usr_a', 'ann'), key('key_a', 'usr_a', 'hash_a'));
    expect((await users.findUserByActiveKeyHash('hash_a'))?.id).toBe('usr_a');
    // The key hash is taken: the key insert fails, and the user must not be left behind without a key.
    await expect(
      users.insertUserWithApiKey(user('usr_b', 'ben'), key('key_b', 'usr_b', 'hash_a')),
    ).rejects.toThrow();
    expect(await users.findUserByName('ben')).toBeUndefined();
  });

  it('a key authenticates its own user only, and never again once revoked', async () => {
    const { users } = fixture.repositories();
    await users.insertUser(user('usr_a', 'ann'));
    await users.insertUser(user('usr_b', 'ben'));
    await users.insertApiKey(key('key_a', 'usr_a', 'hash_a'));
    await users.insertApiKey(key('key_b', 'usr_b', 'hash_b'));
    expect(await users.findUserByActiveKeyHash('hash_a')).toEqual(user('usr_a', 'ann'));
    expect(await users.findUserByActiveKeyHash('hash_b')).toEqual(user('usr_b', 'ben'));
    expect(await users.findUserByActiveKeyHash('hash_unknown')).toBeUndefined();

    expect(await users.revokeApiKey('key_a', T0 + 5)).toBe(true);
    expect(await users.revokeApiKey('key_a', T0 + 6)).toBe(false);
    expect(await users.revokeApiKey('key_unknown', T0 + 6)).toBe(false);
    expect(await users.findUserByActiveKeyHash('hash_a')).toBeUndefined();
    expect((await users.findApiKey('key_a'))?.revokedAt).toBe(T0 + 5);
    expect(await users.findUserByActiveKeyHash('hash_b')).toEqual(user('usr_b', 'ben'));
  });

  it('of many concurrent revocations of one key exactly one reports it', async () => {
    const { users } = fixture.repositories();
    await users.insertUser(user('usr_a', 'ann'));
    await users.insertApiKey(key('key_a', 'usr_a', 'hash_a'));
    const database = fixture.database();
    if (database.dialect === 'postgres') await warmPool(database.db, 10);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, at) => users.revokeApiKey('key_a', T0 + at)),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(1);
  });

  it("lists a user's keys oldest first, without their hashes, and no other user's", async () => {
    const { users } = fixture.repositories();
    await users.insertUser(user('usr_a', 'ann'));
    await users.insertUser(user('usr_b', 'ben'));
    await users.insertApiKey(key('key_2', 'usr_a', 'hash_2', T0 + 2));
    await users.insertApiKey(key('key_1', 'usr_a', 'hash_1', T0 + 1));
    await users.insertApiKey(key('key_b', 'usr_b', 'hash_b', T0));
    await users.revokeApiKey('key_2', T0 + 9);
    expect(await users.listApiKeys('usr_a')).toEqual([
      { id: 'key_1', createdAt: T0 + 1, lastUsedAt: null, revokedAt: null },
      { id: 'key_2', createdAt: T0 + 2, lastUsedAt: null, revokedAt: T0 + 9 },
    ]);
    expect(await users.findApiKey('key_1')).toMatchObject({
      userId: 'usr_a',
      keyHash: 'hash_1',
      prefix: 'wpsa_abc',
    });
    expect(await users.findApiKey('key_unknown')).toBeUndefined();
  });

  it("stamps a key's last use only when the previous stamp is older than the interval", async () => {
    const { users } = fixture.repositories();
    await users.insertUser(user('usr_a', 'ann'));
    await users.insertApiKey(key('key_a', 'usr_a', 'hash_a'));
    const lastUsed = async () => (await users.findApiKey('key_a'))?.lastUsedAt;
    await users.touchApiKey('hash_a', T0 + 1_000, T0 + 1_000 - 60_000);
    expect(await lastUsed()).toBe(T0 + 1_000);
    await users.touchApiKey('hash_a', T0 + 30_000, T0 + 30_000 - 60_000);
    expect(await lastUsed()).toBe(T0 + 1_000);
    await users.touchApiKey('hash_a', T0 + 62_000, T0 + 62_000 - 60_000);
    expect(await lastUsed()).toBe(T0 + 62_000);
  });

  itOn(fixture, 'postgres')(
    'an unreachable PostgreSQL answers `unavailable`, not an unknown error',
    async () => {
      const db = openPostgresDatabase('postgres://postgres@127.0.0.1:1/nothing');
      try {
        await expect(
          createPostgresUsersRepository({ db }).findUserByActiveKeyHash('hash_a'),
        ).rejects.toMatchObject({
          code: 'unavailable',
          status: 503,
        });
      } finally {
        await db.$client.end();
      }
    },
  );

  itOn(fixture, 'postgres')('the per-request key lookup is a named prepared statement', async () => {
    const db = openPostgresDatabase(fixture.url(), { poolSize: 1 });
    try {
      const users = createPostgresUsersRepository({ db });
      await users.insertUser(user('usr_a', 'ann'));
      await users.insertApiKey(key('key_a', 'usr_a', 'hash_a'));
      expect((await users.findUserByActiveKeyHash('hash_a'))?.id).toBe('usr_a');
      expect((await users.findUserByActiveKeyHash('hash_a'))?.id).toBe('usr_a');
      const { rows } = await db.$client.query('select name from pg_prepared_statements');
      expect(rows.map((row) => row.name)).toContain('user_by_key_hash');
    } finally {
      await db.$client.end();
    }
  });
});
