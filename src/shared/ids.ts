import { randomFillSync } from 'node:crypto';

const ID_BYTES = 12;
/**
 * Random bytes for the next 512 ids. One `randomBytes` call per id cost more than the id is worth (a
 * turn creates about five); filling a buffer from the same CSPRNG and slicing it keeps ids exactly as
 * unguessable at a tenth of the cost. Bytes are used once and never leave this module.
 */
const pool = Buffer.alloc(ID_BYTES * 512);
let next = pool.length;

/** Readable, prefixed, unguessable ids: `usr_…`, `key_…`, `conv_…`, `msg_…`, `call_…` (96 random bits). */
export function createId(prefix: string): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const random = pool.toString('base64url', next, next + ID_BYTES);
  next += ID_BYTES;
  return `${prefix}_${random}`;
}
