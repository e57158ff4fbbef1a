import { describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';
import { createManualClock } from '../../src/shared/clock.js';
import { createUsersRepository } from '../../src/users/users.repository.js';
import { createUsersService } from '../../src/users/users.usecases.js';

/** The server's users service and, on the same database, another process's (the admin CLI's). */
function twoProcesses() {
  const db = openDatabase(':memory:');
  migrateDatabase(db);
  const clock = createManualClock();
  const usersRepository = createUsersRepository({ db });
  let lookups = 0;
  const counted = {
    ...usersRepository,
    async findUserByActiveKeyHash(keyHash: string) {
      lookups += 1;
      return usersRepository.findUserByActiveKeyHash(keyHash);
    },
  };
  return {
    clock,
    server: createUsersService({ usersRepository: counted, clock }),
    cli: createUsersService({ usersRepository: createUsersRepository({ db }), clock }),
    lookups: () => lookups,
  };
}

describe('API-key authentication', () => {
  it('asks the database once for a key used again within seconds', async () => {
    const { server, cli, lookups } = twoProcesses();
    const ann = await cli.createUser('ann');
    for (let request = 0; request < 10; request++)
      expect((await server.authenticate(ann.apiKey))?.name).toBe('ann');
    expect(lookups()).toBe(1);
  });

  it('stops accepting a key revoked by another process within 5 s', async () => {
    const { server, cli, clock } = twoProcesses();
    const ann = await cli.createUser('ann');
    const second = await cli.createApiKeyFor('ann');
    expect((await server.authenticate(second.apiKey))?.name).toBe('ann');
    await cli.revokeApiKey(second.id);
    clock.advance(4_000);
    // Still remembered by the server's process: the documented window.
    expect((await server.authenticate(second.apiKey))?.name).toBe('ann');
    clock.advance(1_000);
    expect(await server.authenticate(second.apiKey)).toBeUndefined();
    // The user's other key is untouched.
    expect((await server.authenticate(ann.apiKey))?.name).toBe('ann');
  });

  it('refuses a key revoked through the same process at once', async () => {
    const { server } = twoProcesses();
    await server.createUser('ann');
    const key = await server.createApiKeyFor('ann');
    expect((await server.authenticate(key.apiKey))?.name).toBe('ann');
    await server.revokeApiKey(key.id);
    expect(await server.authenticate(key.apiKey)).toBeUndefined();
  });

  it('never remembers an unknown key', async () => {
    const { server, cli, lookups } = twoProcesses();
    await cli.createUser('ann');
    const unknown = `wpsa_${'x'.repeat(43)}`;
    expect(await server.authenticate(unknown)).toBeUndefined();
    expect(await server.authenticate(unknown)).toBeUndefined();
    expect(lookups()).toBe(2);
  });
});
