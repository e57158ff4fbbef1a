import type { ModelMessage } from 'ai';
import type { MessageRow } from '../transcripts/conversations.repository.js';

/**
 * Rebuilds the model messages of earlier turns: each user message, then the stored model messages of its
 * assistant turn (tool calls and results included). Whole turns are dropped, oldest first, until the
 * history fits the context budget, so a tool call is never separated from its result.
 */
export function historyWithinBudget(messages: MessageRow[], budgetChars: number): ModelMessage[] {
  const turns: ModelMessage[][] = [];
  for (const message of messages) {
    if (message.role === 'user') {
      turns.push([{ role: 'user', content: message.text }]);
    } else if (message.modelMessages && message.modelMessages.length > 0) {
      const current = turns.at(-1);
      const stored = message.modelMessages as ModelMessage[];
      if (current) current.push(...stored);
      else turns.push([...stored]);
    }
  }
  const sizes = turns.map((turn) => JSON.stringify(turn).length);
  let total = sizes.reduce((sum, size) => sum + size, 0);
  let first = 0;
  while (first < turns.length && total > budgetChars) {
    total -= sizes[first] ?? 0;
    first++;
  }
  return turns.slice(first).flat();
}

/** A conversation's title: its first message, on one line, cut at a word where possible. */
export function titleFrom(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  if (line.length <= 60) return line || 'New conversation';
  const cut = line.slice(0, 60);
  const space = cut.lastIndexOf(' ');
  return `${(space > 30 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
