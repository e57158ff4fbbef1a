import { randomFillSync } from 'node:crypto';

const RANDOM_BYTES = 12;
/**
 * Random bytes for the next 512 ids. One `randomBytes` call per id cost more than the id is worth (a
 * turn creates about five); filling a buffer from the same CSPRNG and slicing it keeps ids exactly as
 * unguessable at a tenth of the cost. Bytes are used once and never leave this module.
 */
const pool = Buffer.alloc(RANDOM_BYTES * 512);
let next = pool.length;

/** The base64url characters in ASCII order, so that a string of them sorts as the number it spells. */
const SORTABLE_DIGITS = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
/** 8 characters of 6 bits: milliseconds since 1970 up to the year 10889. */
const TIME_CHARS = 8;

/** `ms` in TIME_CHARS sortable characters: later times sort after earlier ones. */
function sortableTime(ms: number): string {
  let rest = Math.max(0, Math.floor(ms));
  let out = '';
  for (let index = 0; index < TIME_CHARS; index++) {
    out = SORTABLE_DIGITS[rest % 64] + out;
    rest = Math.floor(rest / 64);
  }
  return out;
}

/**
 * Readable, prefixed, unguessable ids: `usr_…`, `key_…`, `conv_…`, `msg_…`, `call_…`: the creation time
 * (8 sortable characters), then 96 random bits. The time first keeps the ids a process creates close
 * together in every index keyed by them: an insert then dirties the same few index pages as the inserts
 * before it, where random ids dirtied one page of each index per row, scattered, and every one of those
 * pages went into the next commit (SQLite's log took 14–24% fewer bytes a turn; docs/benchmarks.md,
 * ninth round). Byte order is SQLite's and PostgreSQL's `C` collation; under a language collation the
 * order is still near creation time, the leading characters changing only every few days. The time
 * leaks nothing the API does not show already (every row has its `createdAt`).
 */
export function createId(prefix: string, now = Date.now()): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const random = pool.toString('base64url', next, next + RANDOM_BYTES);
  next += RANDOM_BYTES;
  return `${prefix}_${sortableTime(now)}${random}`;
}
