import type { ModelMessage } from 'ai';
import type { ConversationsRepository, MessageRow } from '../transcripts/conversations.repository.js';
import { fitToBudget, replayableTurns } from './conversation-history.js';
import type { ReplayableMessages } from './replayable-messages.js';
import { findRetriedTurn } from './retry-turn.js';

/** Messages in the first page read back; each further page is twice the one before. */
const FIRST_PAGE_MESSAGES = 16;

export interface LoadedHistory {
  history: ModelMessage[];
  /** With `retry`: the user message that runs again (see retry-turn.ts). */
  retried: { message: string } | undefined;
}

/**
 * Reads back only as much of a conversation as its next turn can replay: pages of messages, newest first,
 * until the turns read are larger than the context budget or the conversation's start is reached. Once
 * they are larger, the oldest turn read (perhaps cut by the page) is dropped by the budget whatever came
 * before it, so the history is exactly what historyWithinBudget makes of the whole conversation, at a cost
 * set by the budget rather than by the conversation's length.
 */
export async function loadTurnHistory(options: {
  conversationsRepository: Pick<ConversationsRepository, 'listRecentMessages'>;
  conversationId: string;
  /** A continued turn's own message, which is not history. */
  excludeMessageId: string | undefined;
  retry: boolean;
  budgetChars: number;
  /** Messages already checked as replayable (see replayable-messages.ts). */
  checked?: ReplayableMessages;
}): Promise<LoadedHistory> {
  const loaded: MessageRow[] = [];
  let beforeSequence: number | undefined;
  let limit = FIRST_PAGE_MESSAGES;
  for (;;) {
    const page = await options.conversationsRepository.listRecentMessages(options.conversationId, {
      beforeSequence,
      limit,
    });
    const reachedStart = page.length < limit;
    beforeSequence = page.at(-1)?.sequence;
    for (const message of page) if (message.id !== options.excludeMessageId) loaded.unshift(message);
    // A retry needs the user message it runs again: read on until one is in.
    if (options.retry && !reachedStart && !loaded.some((message) => message.role === 'user')) {
      limit *= 2;
      continue;
    }
    const retried = options.retry ? findRetriedTurn(loaded) : undefined;
    const turns = replayableTurns(retried?.earlier ?? loaded, options.checked);
    if (reachedStart || turns.totalChars > options.budgetChars)
      return {
        history: fitToBudget(turns, options.budgetChars).flat(),
        retried: retried && { message: retried.message },
      };
    limit *= 2;
  }
}
