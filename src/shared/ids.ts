import { randomBytes } from 'node:crypto';

/** Readable, prefixed, unguessable ids: `usr_…`, `key_…`, `conv_…`, `msg_…`, `call_…`. */
export function createId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}
