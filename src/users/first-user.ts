import type { User } from './users.repository.js';
import type { UsersService } from './users.usecases.js';

/** The first user a fresh database gets, so the quick start needs no extra command. */
export const FIRST_USER_NAME = 'admin';

/** Creates the first user when there is none; returns it with its API key (to print once), else undefined. */
export async function ensureFirstUser(
  usersService: UsersService,
): Promise<(User & { apiKey: string; apiKeyId: string }) | undefined> {
  if ((await usersService.countUsers()) > 0) return undefined;
  try {
    return await usersService.createUser(FIRST_USER_NAME);
  } catch (error) {
    // Another process on the same database created it between our count and our insert: theirs stands.
    if ((await usersService.countUsers()) > 0) return undefined;
    throw error;
  }
}

/** What the terminal shows once: the key, and its id so that this first key can be revoked later. */
export function firstStartBanner(
  user: User & { apiKey: string; apiKeyId: string },
  publicUrl: string,
): string {
  return (
    `  First start: created user "${user.name}" (${user.id}).\n` +
    `  Its API key (id ${user.apiKeyId}), shown only this once:\n\n    ${user.apiKey}\n\n` +
    `  Try: curl -H "Authorization: Bearer ${user.apiKey}" ${publicUrl}/v1/me\n` +
    `  Lost it? npm run cli -- keys create ${user.name}; then npm run cli -- keys revoke ${user.apiKeyId}\n\n`
  );
}
