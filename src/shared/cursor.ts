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

/**
 * Keyset pagination around a repository query: reads one row more than the page to know whether another
 * page exists, and turns the page's last row into the next cursor.
 */
export async function paginate<Row>(options: {
  cursor: string | undefined;
  limit: number;
  fetch: (before: Position | undefined, limit: number) => Promise<Row[]>;
  positionOf: (row: Row) => Position;
}): Promise<{ page: Row[]; nextCursor: string | null }> {
  const rows = await options.fetch(
    options.cursor ? decodeCursor(options.cursor) : undefined,
    options.limit + 1,
  );
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return {
    page,
    nextCursor: rows.length > options.limit && last ? encodeCursor(options.positionOf(last)) : null,
  };
}
