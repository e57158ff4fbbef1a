import {
  assistantModelMessageSchema,
  type ModelMessage,
  systemModelMessageSchema,
  toolModelMessageSchema,
  userModelMessageSchema,
} from 'ai';
import { z } from 'zod';
import type { $ZodTypeDiscriminable } from 'zod/v4/core';
import { errors } from '../shared/errors.js';
import type { ReplayedMessage } from '../transcripts/conversations.repository.js';
import type { HistoryCache } from './history-cache.js';

/**
 * The SDK's model-message check, picked by `role`: the same messages pass as under its `modelMessageSchema`
 * (each of whose options requires its own role), at about a quarter of the cost, because zod no longer
 * tries, and reports on, every option before the matching one.
 */
const storedModelMessagesSchema = z.array(
  z.discriminatedUnion(
    'role',
    // Typed by the SDK as plain schemas; they are zod objects with a literal `role`, which zod reads.
    [
      systemModelMessageSchema,
      userModelMessageSchema,
      assistantModelMessageSchema,
      toolModelMessageSchema,
    ].map((schema) => schema as unknown as $ZodTypeDiscriminable) as [
      $ZodTypeDiscriminable,
      ...$ZodTypeDiscriminable[],
    ],
  ),
);

/**
 * Rebuilds the model messages of earlier turns: each user message, then the stored model messages of its
 * assistant turn (tool calls and results included); when a turn was retried, its latest attempt. Whole
 * turns are dropped, oldest first, until the history fits the context budget, so a tool call is never
 * separated from its result. Stored messages are checked against the AI SDK's schema: a shape this
 * version cannot replay fails the turn with `history_unreadable` rather than confusing the model.
 */
export function historyWithinBudget(messages: ReplayedMessage[], budgetChars: number): ModelMessage[] {
  return flattenTurns(fitToBudget(replayableTurns(messages), budgetChars));
}

/**
 * One earlier turn as the model replays it: the user's message (none when the history starts with an
 * answer), then the stored model messages of its answer, the stored array itself (frozen when it comes
 * from the history cache, so that what is made of it can be kept by identity: history-prompt.ts).
 */
export interface HistoryTurn {
  user: ModelMessage | undefined;
  answer: readonly ModelMessage[];
}

export const flattenTurns = (turns: readonly HistoryTurn[]): ModelMessage[] =>
  turns.flatMap((turn) => (turn.user ? [turn.user, ...turn.answer] : turn.answer));

/** A conversation's messages as whole turns (model messages) with their size in characters. */
export interface ReplayableTurns {
  turns: HistoryTurn[];
  sizes: number[];
  totalChars: number;
}

/**
 * `checked`: messages that passed the model-message check before are not checked again, and their
 * replayed size is not measured again either.
 */
export function replayableTurns(
  messages: ReplayedMessage[],
  checked?: Pick<HistoryCache, 'known' | 'answerChars' | 'replayedUser'>,
): ReplayableTurns {
  const grouped: Array<{
    user?: ReplayedUser;
    answer: readonly ModelMessage[];
    answerChars: number;
  }> = [];
  for (const message of messages) {
    if (message.role === 'user') {
      const user = checked ? checked.replayedUser(message, replayedUser) : replayedUser(message);
      grouped.push({ user, answer: [], answerChars: 2 });
      continue;
    }
    const stored = readModelMessages(message, checked);
    const measure = () => JSON.stringify(stored).length;
    const answerChars = checked ? checked.answerChars(message, measure) : measure();
    const current = grouped.at(-1);
    // A second assistant message after one user message is a retry: it replaces the attempt before it.
    if (current) {
      current.answer = stored;
      current.answerChars = answerChars;
    } else grouped.push({ answer: stored, answerChars });
  }
  const turns = grouped.map(({ user, answer }) => ({ user: user?.message, answer }));
  const sizes = grouped.map((turn) => turnChars(turn.user?.chars, turn.answer.length, turn.answerChars));
  return { turns, sizes, totalChars: sizes.reduce((sum, size) => sum + size, 0) };
}

/** A user message as the model replays it, with its JSON length. */
export interface ReplayedUser {
  message: ModelMessage;
  chars: number;
}

export function replayedUser(stored: ReplayedMessage): ReplayedUser {
  const message: ModelMessage = { role: 'user', content: stored.text };
  return { message, chars: JSON.stringify(message).length };
}

/**
 * `JSON.stringify([user, ...answer]).length` from the answer's own JSON length (`[`, its elements with
 * commas between, `]`): the answer, stored and cached, is not serialised again on every turn that
 * replays it (it was a tenth of a deep turn's CPU).
 */
function turnChars(userJsonChars: number | undefined, answerLength: number, answerChars: number): number {
  if (userJsonChars === undefined) return answerChars;
  // `[user]`, plus a comma and the answer's elements (its JSON without the brackets) if it has any.
  const userChars = userJsonChars + 2;
  return answerLength === 0 ? userChars : userChars + 1 + (answerChars - 2);
}

/** The newest turns whose sizes add up to at most `budgetChars`. */
export function fitToBudget({ turns, sizes, totalChars }: ReplayableTurns, budgetChars: number) {
  let total = totalChars;
  let first = 0;
  while (first < turns.length && total > budgetChars) {
    total -= sizes[first] ?? 0;
    first++;
  }
  return turns.slice(first);
}

function readModelMessages(
  message: ReplayedMessage,
  checked: Pick<HistoryCache, 'known'> | undefined,
): readonly ModelMessage[] {
  if (!message.modelMessages || message.modelMessages.length === 0) return [];
  if (checked?.known(message)) return message.modelMessages as ModelMessage[];
  const parsed = storedModelMessagesSchema.safeParse(message.modelMessages);
  // The stored value itself, not zod's copy: parsing strips fields the schema does not name.
  if (parsed.success) return message.modelMessages as ModelMessage[];
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw errors.historyUnreadable(
    `This conversation's stored history cannot be replayed: message ${message.id} is not in the model-message format this version reads (${issue?.message ?? 'invalid'}${where}). Start a new conversation; this one can still be read and exported.`,
    parsed.error,
  );
}

/** A conversation's title: its first message, on one line, cut at a word where possible. */
export function titleFrom(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  if (line.length <= 60) return line || 'New conversation';
  const cut = line.slice(0, 60);
  const space = cut.lastIndexOf(' ');
  return `${(space > 30 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
