import type { User } from './users.repository.js';
import type { UsersService } from './users.usecases.js';

/** The first user a fresh database gets, so the quick start needs no extra command. */
export const FIRST_USER_NAME = 'admin';

/** Creates the first user when there is none; returns it with its API key (to print once), else undefined. */
export function ensureFirstUser(usersService: UsersService): (User & { apiKey: string }) | undefined {
  if (usersService.countUsers() > 0) return undefined;
  try {
    return usersService.createUser(FIRST_USER_NAME);
  } catch (error) {
    // Another process on the same database created it between our count and our insert: theirs stands.
    if (usersService.countUsers() > 0) return undefined;
    throw error;
  }
}
