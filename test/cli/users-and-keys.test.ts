import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { createManualClock } from '../../src/shared/clock.js';
import { RECENT_API_KEY_TTL_MS } from '../../src/users/recent-api-keys.js';
import { createUsersRepository } from '../../src/users/users.repository.js';
import { createUsersService } from '../../src/users/users.usecases.js';
import { runCliWith } from '../support/run-cli.js';

const cliAgainst =
  (databasePath: string) =>
  (...argv: string[]) =>
    runCliWith({ DATABASE_URL: databasePath }, ...argv);

describe('the admin CLI', () => {
  const databasePath = path.join(mkdtempSync(path.join(tmpdir(), 'cli-')), 'agent.db');
  const cli = cliAgainst(databasePath);

  it('creates users, lists them, creates and revokes keys; keys work until revoked', async () => {
    const created = await cli('users', 'create', 'Zhang Wei 张伟');
    expect(created.exitCode).toBe(0);
    const user = created.json();
    expect(user).toEqual({
      id: expect.stringMatching(/^usr_/),
      name: 'Zhang Wei 张伟',
      apiKey: expect.stringMatching(/^wpsa_/),
    });

    const listed = (await cli('users', 'list')).json();
    expect(listed).toEqual([{ id: user.id, name: 'Zhang Wei 张伟', createdAt: expect.any(String) }]);
    expect(JSON.stringify(listed)).not.toContain(user.apiKey);

    const key = (await cli('keys', 'create', 'Zhang Wei 张伟')).json();
    expect(key).toEqual({ id: expect.stringMatching(/^key_/), apiKey: expect.stringMatching(/^wpsa_/) });

    const db = openDatabase(databasePath);
    const clock = createManualClock(Date.now());
    const service = createUsersService({ usersRepository: createUsersRepository({ db }), clock });
    expect((await service.authenticate(key.apiKey))?.id).toBe(user.id);
    expect((await service.authenticate(user.apiKey))?.id).toBe(user.id);
    // Only hashes are stored.
    const stored = JSON.stringify(db.$client.prepare('select * from api_keys').all());
    expect(stored).not.toContain(key.apiKey);

    expect((await cli('keys', 'revoke', key.id)).exitCode).toBe(0);
    // The server's process trusts a key it accepted for a few seconds (README, limits).
    clock.advance(RECENT_API_KEY_TTL_MS);
    expect(await service.authenticate(key.apiKey)).toBeUndefined();
    expect((await service.authenticate(user.apiKey))?.id).toBe(user.id);
    db.$client.close();
  });

  it('reports errors on stderr with a non-zero exit', async () => {
    const duplicate = await cli('users', 'create', 'dup');
    expect(duplicate.exitCode).toBe(0);
    const again = await cli('users', 'create', 'dup');
    expect(again.exitCode).not.toBe(0);
    expect(again.stdout).toBe('');
    expect(JSON.parse(again.stderr).error.code).toBe('user_exists');
    const unknownUser = await cli('keys', 'create', 'nobody');
    expect(JSON.parse(unknownUser.stderr).error.code).toBe('not_found');
    const unknownKey = await cli('keys', 'revoke', 'key_nope');
    expect(unknownKey.exitCode).toBe(1);
    const missing = await cli('users', 'create');
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('Missing <name>');
    const nonsense = await cli('frobnicate');
    expect(nonsense.stderr).toContain('Unknown command');
  });
});
