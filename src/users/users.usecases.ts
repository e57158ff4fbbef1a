import type { Clock } from '../shared/clock.js';
import { AppError, errors } from '../shared/errors.js';
import { createId } from '../shared/ids.js';
import { randomToken, sha256 } from '../shared/secret-box.js';
import { createRecentApiKeys } from './recent-api-keys.js';
import type { ApiKeyRow, User, UsersRepository } from './users.repository.js';

/** `last_used_at` is written at most once per key per minute: a timestamp, not a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** What `keys list` shows of a key: never the key or its hash. */
export interface ApiKeySummary {
  id: string;
  createdAt: string;
  lastUsedAt: string | null;
  revoked: boolean;
}

/** Keys look like `wpsa_<43 chars>`: the prefix makes a leaked key easy to recognise in secret scanners. */
const API_KEY_PREFIX = 'wpsa_';

export interface CreatedApiKey {
  id: string;
  /** Shown once; only its hash is stored. */
  apiKey: string;
}

export function createUsersService({
  usersRepository,
  clock,
}: {
  usersRepository: UsersRepository;
  clock: Clock;
}) {
  const recentKeys = createRecentApiKeys({ clock });

  async function findUser(userIdOrName: string): Promise<User> {
    const user =
      (await usersRepository.findUserById(userIdOrName)) ??
      (await usersRepository.findUserByName(userIdOrName));
    if (!user) throw errors.notFound(`No user with id or name "${userIdOrName}".`);
    return user;
  }

  function newApiKey(userId: string): { apiKey: string; row: ApiKeyRow } {
    const apiKey = `${API_KEY_PREFIX}${randomToken(32)}`;
    return {
      apiKey,
      row: {
        id: createId('key'),
        userId,
        keyHash: sha256(apiKey),
        prefix: apiKey.slice(0, API_KEY_PREFIX.length + 4),
        createdAt: clock.now(),
      },
    };
  }

  async function createApiKey(userId: string): Promise<CreatedApiKey> {
    const { apiKey, row } = newApiKey(userId);
    await usersRepository.insertApiKey(row);
    return { id: row.id, apiKey };
  }

  return {
    async createUser(name: string): Promise<User & { apiKey: string; apiKeyId: string }> {
      const trimmed = name.trim();
      if (!trimmed || trimmed.length > 100) {
        throw errors.validationFailed('A user name must be 1 to 100 characters.');
      }
      if (await usersRepository.findUserByName(trimmed)) {
        throw new AppError({
          code: 'user_exists',
          status: 409,
          message: `A user named "${trimmed}" already exists.`,
        });
      }
      const user: User = { id: createId('usr'), name: trimmed, createdAt: clock.now() };
      const { apiKey, row } = newApiKey(user.id);
      await usersRepository.insertUserWithApiKey(user, row);
      return { ...user, apiKey, apiKeyId: row.id };
    },

    listUsers(): Promise<User[]> {
      return usersRepository.listUsers();
    },

    /** Accepts a user id or a user name, as the CLI does. */
    async createApiKeyFor(userIdOrName: string): Promise<CreatedApiKey> {
      return createApiKey((await findUser(userIdOrName)).id);
    },

    async listApiKeysOf(userIdOrName: string): Promise<ApiKeySummary[]> {
      const iso = (time: number) => new Date(time).toISOString();
      const keys = await usersRepository.listApiKeys((await findUser(userIdOrName)).id);
      return keys.map((key) => ({
        id: key.id,
        createdAt: iso(key.createdAt),
        lastUsedAt: key.lastUsedAt === null ? null : iso(key.lastUsedAt),
        revoked: key.revokedAt !== null,
      }));
    },

    async revokeApiKey(keyId: string): Promise<void> {
      // Revocations are rare: dropping every remembered key is simpler than mapping key ids to hashes.
      recentKeys.forgetAll();
      if (!(await usersRepository.revokeApiKey(keyId, clock.now()))) {
        const existing = await usersRepository.findApiKey(keyId);
        throw existing
          ? new AppError({
              code: 'already_revoked',
              status: 409,
              message: `Key ${keyId} is already revoked.`,
            })
          : errors.notFound(`No API key with id "${keyId}".`);
      }
    },

    /**
     * The user a presented API key belongs to, or undefined for an unknown or revoked key. A key accepted
     * in the last 5 s is not looked up again: revoked through another process, it stops within 5 s.
     */
    async authenticate(apiKey: string): Promise<User | undefined> {
      if (!apiKey.startsWith(API_KEY_PREFIX)) return undefined;
      const keyHash = sha256(apiKey);
      const remembered = recentKeys.get(keyHash);
      if (remembered) return remembered;
      const user = await usersRepository.findUserByActiveKeyHash(keyHash);
      if (user) {
        // Touched on lookups only: a remembered key's use is at most 5 s late, within the minute's resolution.
        const now = clock.now();
        // Not awaited: a missed last-use stamp must not fail or slow the request it belongs to.
        usersRepository.touchApiKey(keyHash, now, now - LAST_USED_RESOLUTION_MS).catch(() => undefined);
        recentKeys.remember(keyHash, user);
      }
      return user;
    },

    countUsers(): Promise<number> {
      return usersRepository.countUsers();
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
