import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';
import type { McpConnectionPool } from '../../src/mcp/connection-pool.js';
import { createToolCatalog } from '../../src/mcp/tool-catalog.js';
import { createManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { createSecretBox } from '../../src/shared/secret-box.js';
import { createUsersRepository } from '../../src/users/users.repository.js';
import { createUsersService } from '../../src/users/users.usecases.js';
import type { AuthorizationServerResolver } from '../../src/wps-auth/authorization-server.js';
import { createTokenManager } from '../../src/wps-auth/token-manager.js';
import { createWpsConnectionsRepository } from '../../src/wps-auth/wps-connections.repository.js';

const logger = createLogger({ level: 'silent' });
const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('per-user memory is bounded', () => {
  it('the tool catalogue keeps at most maxUsers lists; a dropped list is rebuilt on next use', async () => {
    const listed: string[] = [];
    const pool = {
      listTools: async (userId: string) => {
        listed.push(userId);
        return [{ name: 'kso_yundoc_search_yundoc', inputSchema: { type: 'object' } }];
      },
      onToolsChanged: () => () => undefined,
    } as unknown as McpConnectionPool;
    const catalog = createToolCatalog({
      pool,
      servers: ['kso-yundoc'],
      ttlMs: 60_000,
      clock: createManualClock(0),
      logger,
      maxUsers: 2,
    });
    for (const userId of ['u1', 'u2', 'u1', 'u2']) await catalog.list(userId);
    expect(listed).toEqual(['u1', 'u2']);
    await catalog.list('u3');
    await catalog.list('u2');
    await catalog.list('u1');
    expect(listed).toEqual(['u1', 'u2', 'u3', 'u1']);
  });

  it("the token manager remembers at most rememberedTokensMax users' access tokens", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'token-memory-'));
    directories.push(dataDir);
    const db = openDatabase(path.join(dataDir, 'agent.db'));
    migrateDatabase(db);
    const clock = createManualClock(1_000_000);
    const users = createUsersService({ usersRepository: createUsersRepository({ db }), clock });
    const repository = createWpsConnectionsRepository({ db });
    const reads: string[] = [];
    const countingRepository = {
      ...repository,
      find: (userId: string) => {
        reads.push(userId);
        return repository.find(userId);
      },
    };
    const tokenManager = createTokenManager({
      repository: countingRepository,
      secretBox: createSecretBox(Buffer.alloc(32, 1)),
      clock,
      fetch: globalThis.fetch,
      logger,
      resolver: {} as AuthorizationServerResolver,
      clientId: 'client',
      clientSecret: 'secret',
      refreshMarginMs: 0,
      rememberedTokensMax: 2,
    });
    const ids: string[] = [];
    for (const name of ['ann', 'bob', 'cat']) ids.push((await users.createUser(name)).id);
    for (const [index, userId] of ids.entries()) {
      await tokenManager.storeAuthorized(
        userId,
        {
          accessToken: `access-${index}`,
          refreshToken: `refresh-${index}`,
          expiresInSeconds: 7200,
          refreshExpiresInSeconds: undefined,
          scopes: ['kso.mcp_yundoc.readwrite'],
        },
        { requestedScopes: [], tokenUrl: 'http://wps.invalid/token' },
      );
    }
    const [ann = '', bob = '', cat = ''] = ids;
    for (const userId of [ann, bob, ann, bob]) await tokenManager.getAccessToken(userId);
    expect(reads).toEqual([ann, bob]);
    await tokenManager.getAccessToken(cat);
    expect(await tokenManager.getAccessToken(ann)).toBe('access-0');
    expect(reads).toEqual([ann, bob, cat, ann]);
    db.$client.close();
  });
});
