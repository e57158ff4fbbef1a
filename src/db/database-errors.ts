import Database from 'better-sqlite3';
import { errors } from '../shared/errors.js';

/**
 * SQLite result codes (and their extended forms, e.g. SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_WRITE) that say
 * "the database cannot take this write now", not "this request is wrong": another process held the write
 * lock past the busy timeout, the disk is full or failing, the file turned read-only. The transaction was
 * rolled back, so the caller may simply try again.
 */
const UNAVAILABLE_CODES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
  'SQLITE_NOMEM',
];

/** True for an error that means the database is busy or unusable (including a closed connection). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof Database.SqliteError)
    return UNAVAILABLE_CODES.some((code) => error.code === code || error.code.startsWith(`${code}_`));
  // better-sqlite3 throws a plain TypeError for a statement run on a closed connection (shutdown races).
  return error instanceof TypeError && /database connection is not open/.test(error.message);
}

/**
 * Wraps every method of a repository so a busy or broken database surfaces as the AppError `unavailable`
 * (503 with Retry-After) that routes and the chat loop can answer, instead of an unknown 500.
 */
export function withDatabaseErrors<Repository extends object>(repository: Repository): Repository {
  const guarded: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(repository)) {
    guarded[name] =
      typeof member === 'function'
        ? (...parameters: unknown[]) => {
            try {
              return member(...parameters);
            } catch (error) {
              throw isDatabaseUnavailable(error) ? errors.unavailable(error) : error;
            }
          }
        : member;
  }
  return guarded as Repository;
}
