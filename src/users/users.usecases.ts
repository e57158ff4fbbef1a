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

  function findUser(userIdOrName: string): User {
    const user = usersRepository.findUserById(userIdOrName) ?? usersRepository.findUserByName(userIdOrName);
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

  function createApiKey(userId: string): CreatedApiKey {
    const { apiKey, row } = newApiKey(userId);
    usersRepository.insertApiKey(row);
    return { id: row.id, apiKey };
  }

  return {
    createUser(name: string): User & { apiKey: string; apiKeyId: string } {
      const trimmed = name.trim();
      if (!trimmed || trimmed.length > 100) {
        throw errors.validationFailed('A user name must be 1 to 100 characters.');
      }
      if (usersRepository.findUserByName(trimmed)) {
        throw new AppError({
          code: 'user_exists',
          status: 409,
          message: `A user named "${trimmed}" already exists.`,
        });
      }
      const user: User = { id: createId('usr'), name: trimmed, createdAt: clock.now() };
      const { apiKey, row } = newApiKey(user.id);
      usersRepository.insertUserWithApiKey(user, row);
      return { ...user, apiKey, apiKeyId: row.id };
    },

    listUsers(): User[] {
      return usersRepository.listUsers();
    },

    /** Accepts a user id or a user name, as the CLI does. */
    createApiKeyFor(userIdOrName: string): CreatedApiKey {
      return createApiKey(findUser(userIdOrName).id);
    },

    listApiKeysOf(userIdOrName: string): ApiKeySummary[] {
      const iso = (time: number) => new Date(time).toISOString();
      return usersRepository.listApiKeys(findUser(userIdOrName).id).map((key) => ({
        id: key.id,
        createdAt: iso(key.createdAt),
        lastUsedAt: key.lastUsedAt === null ? null : iso(key.lastUsedAt),
        revoked: key.revokedAt !== null,
      }));
    },

    revokeApiKey(keyId: string): void {
      // Revocations are rare: dropping every remembered key is simpler than mapping key ids to hashes.
      recentKeys.forgetAll();
      if (!usersRepository.revokeApiKey(keyId, clock.now())) {
        const existing = usersRepository.findApiKey(keyId);
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
    authenticate(apiKey: string): User | undefined {
      if (!apiKey.startsWith(API_KEY_PREFIX)) return undefined;
      const keyHash = sha256(apiKey);
      const remembered = recentKeys.get(keyHash);
      if (remembered) return remembered;
      const user = usersRepository.findUserByActiveKeyHash(keyHash);
      if (user) {
        // Touched on lookups only: a remembered key's use is at most 5 s late, within the minute's resolution.
        const now = clock.now();
        usersRepository.touchApiKey(keyHash, now, now - LAST_USED_RESOLUTION_MS);
        recentKeys.remember(keyHash, user);
      }
      return user;
    },

    countUsers(): number {
      return usersRepository.countUsers();
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
