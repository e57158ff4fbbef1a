import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';
import { createManualClock } from '../../src/shared/clock.js';
import { createUsersRepository } from '../../src/users/users.repository.js';
import { createUsersService } from '../../src/users/users.usecases.js';
import { runCliWith } from '../support/run-cli.js';

describe("a user's API keys", () => {
  it('keys list shows ids, creation, last use and revocation, never the key itself', async () => {
    const databasePath = path.join(mkdtempSync(path.join(tmpdir(), 'keys-')), 'agent.db');
    const cli = (...argv: string[]) => runCliWith({ DATABASE_URL: databasePath }, ...argv);
    const user = (await cli('users', 'create', 'mei')).json();
    const second = (await cli('keys', 'create', 'mei')).json();
    expect((await cli('keys', 'revoke', second.id)).exitCode).toBe(0);

    const listed = await cli('keys', 'list', 'mei');
    expect(listed.exitCode).toBe(0);
    const keys = listed.json();
    expect(keys).toEqual([
      { id: expect.stringMatching(/^key_/), createdAt: expect.any(String), lastUsedAt: null, revoked: false },
      { id: second.id, createdAt: expect.any(String), lastUsedAt: null, revoked: true },
    ]);
    expect(listed.stdout).not.toContain(user.apiKey);
    expect(listed.stdout).not.toContain(second.apiKey);
    expect((await cli('keys', 'list', user.id)).json()).toEqual(keys);
    const unknown = await cli('keys', 'list', 'nobody');
    expect(JSON.parse(unknown.stderr).error.code).toBe('not_found');
  });

  it('records when a key was last used, at most once a minute per key', async () => {
    const db = openDatabase(':memory:');
    migrateDatabase(db);
    const clock = createManualClock(Date.UTC(2026, 5, 1, 9, 0, 0));
    const service = createUsersService({ usersRepository: createUsersRepository({ db }), clock });
    const user = await service.createUser('li');
    const lastUsed = async () => (await service.listApiKeysOf('li'))[0]?.lastUsedAt;
    expect(await lastUsed()).toBeNull();

    expect((await service.authenticate(user.apiKey))?.id).toBe(user.id);
    expect(await lastUsed()).toBe('2026-06-01T09:00:00.000Z');
    clock.advance(30_000);
    await service.authenticate(user.apiKey);
    expect(await lastUsed()).toBe('2026-06-01T09:00:00.000Z');
    clock.advance(31_000);
    await service.authenticate(user.apiKey);
    expect(await lastUsed()).toBe('2026-06-01T09:01:01.000Z');
    db.$client.close();
  });
});
