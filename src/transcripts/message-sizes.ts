import { type AnyColumn, type SQL, sql } from 'drizzle-orm';

/** The message columns a size read selects, alike on both dialects. */
interface SizedColumns {
  id: AnyColumn;
  role: AnyColumn;
  status: AnyColumn;
  sequence: AnyColumn;
  text: AnyColumn;
  modelMessages: AnyColumn;
}

/**
 * A message's place and sizes without its content: the history loader reads these first, to fetch only
 * the whole messages its context budget can keep (agent/history-loader.ts). Sizes are `length()` of the
 * stored text, in characters (code points), computed by the database: never more than JavaScript's
 * length of the same text (a character beyond U+FFFF is two UTF-16 units there, and SQLite's `length`
 * stops at a NUL), so a sum of them is a lower bound of what the messages weigh once replayed.
 * `jsonText` reads the JSON column as its stored text (PostgreSQL's `json` needs a cast).
 */
export function messageSizeColumns<Columns extends SizedColumns>(
  messages: Columns,
  jsonText: (column: AnyColumn) => SQL = (column) => sql`${column}`,
): Pick<Columns, 'id' | 'role' | 'status' | 'sequence'> & {
  textChars: SQL<number>;
  modelMessagesChars: SQL<number>;
} {
  return {
    id: messages.id,
    role: messages.role,
    status: messages.status,
    sequence: messages.sequence,
    textChars: sql<number>`length(${messages.text})`.mapWith(Number),
    // No model messages are SQL NULL, or JSON `null` where SQLite's JSON column wrote it so: both weigh 0.
    modelMessagesChars:
      sql<number>`coalesce(length(nullif(${jsonText(messages.modelMessages)}, 'null')), 0)`.mapWith(Number),
  };
}

/** The message columns a turn's history replays; a history read selects these only, alike on both dialects. */
export function replayedMessageColumns<Columns extends SizedColumns>(
  messages: Columns,
): Pick<Columns, 'id' | 'role' | 'status' | 'sequence' | 'text' | 'modelMessages'> {
  const { id, role, status, sequence, text, modelMessages } = messages;
  return { id, role, status, sequence, text, modelMessages };
}
