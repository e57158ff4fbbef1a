/**
 * Keeps what the model is sent of one tool result within budget: the head and the tail survive (a
 * document's title and structure, and its end), with a marker that says how much was cut and that the
 * full result is in the transcript.
 */
export function fitToBudget(
  text: string,
  budget: number,
): { text: string; truncated: boolean; originalLength: number } {
  if (text.length <= budget) return { text, truncated: false, originalLength: text.length };
  const marker = (omitted: number) =>
    `\n\n[… truncated ${omitted} of ${text.length} characters; the full result is in the transcript …]\n\n`;
  const room = Math.max(0, budget - marker(text.length).length);
  const head = Math.ceil(room * 0.7);
  const tail = room - head;
  const omitted = text.length - head - tail;
  return {
    text: `${text.slice(0, head)}${marker(omitted)}${tail > 0 ? text.slice(-tail) : ''}`,
    truncated: true,
    originalLength: text.length,
  };
}

export const TRUNCATION_MARKER = '[… truncated';
