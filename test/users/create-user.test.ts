import { describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';
import { systemClock } from '../../src/shared/clock.js';
import { createUsersRepository } from '../../src/users/users.repository.js';
import { createUsersService } from '../../src/users/users.usecases.js';

describe('creating a user', () => {
  it('stores the user and its first key together or not at all', async () => {
    const db = openDatabase(':memory:');
    migrateDatabase(db);
    const usersService = createUsersService({
      usersRepository: createUsersRepository({ db }),
      clock: systemClock,
    });
    // The key's insert fails (as a full disk or a busy database would make it).
    db.$client.exec(
      "create trigger no_keys before insert on api_keys begin select raise(abort, 'no room'); end",
    );
    await expect(usersService.createUser('ann')).rejects.toThrow(/no room/);
    // No keyless user is left behind: a later attempt (or the first-start bootstrap) can still succeed.
    expect(await usersService.countUsers()).toBe(0);
    db.$client.exec('drop trigger no_keys');
    expect((await usersService.createUser('ann')).apiKey).toMatch(/^wpsa_/);
  });
});
