import { LRUCache } from 'lru-cache';
import type { Clock } from '../shared/clock.js';
import type { User } from './users.repository.js';

/** How long an accepted key is trusted without asking the database: a revocation elsewhere waits this long. */
export const RECENT_API_KEY_TTL_MS = 5_000;

/**
 * Keys accepted in the last few seconds, by their hash: every `/v1` request presents its key, and a
 * select per request was a measurable share of a chat turn's CPU (issue 12). Only accepted keys are kept
 * (an unknown key always asks the database, and cannot fill the cache with misses); bounded, so many
 * users cost memory only for the most recent.
 */
export function createRecentApiKeys({ clock, max = 5_000 }: { clock: Clock; max?: number }) {
  const entries = new LRUCache<string, { user: User; expiresAt: number }>({ max });
  return {
    get(keyHash: string): User | undefined {
      const entry = entries.get(keyHash);
      if (!entry) return undefined;
      if (entry.expiresAt <= clock.now()) {
        entries.delete(keyHash);
        return undefined;
      }
      return entry.user;
    },
    remember(keyHash: string, user: User): void {
      entries.set(keyHash, { user, expiresAt: clock.now() + RECENT_API_KEY_TTL_MS });
    },
    /** After a revocation in this process: the revoked key must stop working at once, not in 5 s. */
    forgetAll(): void {
      entries.clear();
    },
  };
}
