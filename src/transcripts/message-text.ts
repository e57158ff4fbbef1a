/**
 * A message's text or error as the `messages` table stores it: U+0000 becomes U+FFFD. PostgreSQL's text
 * columns cannot hold a NUL at all (the write fails, and the turn with it), and SQLite stores it the same
 * way so that a transcript reads alike on both. Only what is shown changes: the model messages keep the
 * reply exactly (a JSON escape), and a user's message with a NUL is refused before it is stored.
 */
export function storableText<Text extends string | null | undefined>(text: Text): Text {
  return (
    typeof text === 'string' && text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text
  ) as Text;
}

/** A message's changes with their text and error made storable (see storableText). */
export function storableChanges<Changes extends { text?: string | null; error?: string | null }>(
  changes: Changes,
): Changes {
  const { text, error } = changes;
  if (!text?.includes('\u0000') && !error?.includes('\u0000')) return changes;
  const stored = { ...changes };
  if (text !== undefined) stored.text = storableText(text);
  if (error !== undefined) stored.error = storableText(error);
  return stored;
}
