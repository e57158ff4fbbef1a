import Database from 'better-sqlite3';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { errors } from '../shared/errors.js';

/**
 * SQLite result codes (and their extended forms, e.g. SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_WRITE) that say
 * "the database cannot take this write now", not "this request is wrong": another process held the write
 * lock past the busy timeout, the disk is full or failing, the file turned read-only. The transaction was
 * rolled back, so the caller may simply try again.
 */
const SQLITE_UNAVAILABLE_CODES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
  'SQLITE_NOMEM',
];

/**
 * PostgreSQL's equivalents, by SQLSTATE: connection exceptions (class 08), insufficient resources (53:
 * disk full, too many connections), operator intervention (57P01-57P03: shutdown, crash, still starting),
 * and the transaction conflicts a retry resolves (40001 serialization failure, 40P01 deadlock).
 */
const POSTGRES_UNAVAILABLE_STATES = /^(08|53|57P0[1-3]|40001$|40P01$)/;
/** Errors of the socket itself, before PostgreSQL could answer anything. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
/** node-postgres reports a dropped connection or an exhausted pool with plain Errors. */
const POSTGRES_CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i;

/** True for an error that means the database is busy or unusable (including a closed connection). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof Database.SqliteError)
    return SQLITE_UNAVAILABLE_CODES.some((code) => error.code === code || error.code.startsWith(`${code}_`));
  if (!(error instanceof Error)) return false;
  // better-sqlite3 throws a plain TypeError for a statement run on a closed connection (shutdown races).
  if (error instanceof TypeError) return /database connection is not open/.test(error.message);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || POSTGRES_UNAVAILABLE_STATES.test(code)))
    return true;
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  return POSTGRES_CONNECTION_MESSAGES.test(error.message);
}

/**
 * drizzle wraps PostgreSQL errors in one whose message holds the query's parameters (sealed tokens, key
 * hashes): only the driver's own error travels on, so no log line can carry them.
 */
function driverError(error: unknown): unknown {
  return error instanceof DrizzleQueryError && error.cause ? error.cause : error;
}

/** A PostgreSQL unique violation (23505) of `constraint`, as drizzle throws it or as the driver does. */
export function isPostgresUniqueViolation(error: unknown, constraint: string): boolean {
  const cause = driverError(error) as { code?: unknown; constraint?: unknown } | undefined;
  return cause?.code === '23505' && cause.constraint === constraint;
}

function translate(error: unknown): unknown {
  const cause = driverError(error);
  return isDatabaseUnavailable(cause) ? errors.unavailable(cause) : cause;
}

/**
 * Wraps every method of a repository so a busy or broken database surfaces as the AppError `unavailable`
 * (503 with Retry-After) that routes and the chat loop can answer, instead of an unknown 500. Methods are
 * async (both dialects): a rejection is translated like a throw.
 */
export function withDatabaseErrors<Repository extends object>(repository: Repository): Repository {
  const guarded: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(repository)) {
    guarded[name] =
      typeof member === 'function'
        ? (...parameters: unknown[]) => {
            try {
              const result = member(...parameters);
              return result instanceof Promise
                ? result.catch((error: unknown) => {
                    throw translate(error);
                  })
                : result;
            } catch (error) {
              throw translate(error);
            }
          }
        : member;
  }
  return guarded as Repository;
}
