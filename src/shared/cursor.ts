import { errors } from './errors.js';

/** Opaque pagination cursors: a (time, id) position, newest-first lists continue strictly after it. */
export interface Position {
  at: number;
  id: string;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'number' && typeof id === 'string') return { at, id };
  } catch {
    // Falls through to the validation error below: a cursor is opaque, any damage is the client's.
  }
  throw errors.validationFailed('The cursor is not valid; use the nextCursor of a previous page.');
}
