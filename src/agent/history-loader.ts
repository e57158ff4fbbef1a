import type { ModelMessage } from 'ai';
import type {
  ConversationsRepository,
  MessageRow,
  MessageSize,
} from '../transcripts/conversations.repository.js';
import { fitToBudget, replayableTurns } from './conversation-history.js';
import type { ReplayableMessages } from './replayable-messages.js';
import { findRetriedTurn } from './retry-turn.js';

/** Message sizes in the first page read; each further page is twice the one before. */
const FIRST_SIZES_PAGE = 32;
/** `{"role":"user","content":""}`: what a user message weighs replayed, besides its text. */
const USER_MESSAGE_OVERHEAD_CHARS = 28;

export interface LoadedHistory {
  history: ModelMessage[];
  /** With `retry`: the user message that runs again (see retry-turn.ts). */
  retried: { message: string } | undefined;
}

interface HistoryRequest {
  conversationsRepository: Pick<ConversationsRepository, 'listRecentMessages' | 'listRecentMessageSizes'>;
  conversationId: string;
  /** A continued turn's own message, which is not history. */
  excludeMessageId: string | undefined;
  retry: boolean;
  budgetChars: number;
  /** Messages already checked as replayable (see replayable-messages.ts). */
  checked?: ReplayableMessages;
}

/**
 * Reads back only as much of a conversation as its next turn can replay. First the newest messages'
 * sizes (no content), until they add up to more than the context budget or the conversation's start is
 * reached; then those messages whole, in one read. Once the turns read are larger than the budget, the
 * oldest turn read (perhaps cut short) is dropped by the budget whatever came before it, so the history
 * is exactly what historyWithinBudget makes of the whole conversation, at a cost set by the budget rather
 * than by the conversation's length. Sizes are lower bounds (message-sizes.ts): the whole messages
 * always weigh at least as much, and should they not reach the budget after all (a message gone
 * meanwhile), older ones are read in pages until they do.
 */
export async function loadTurnHistory(options: HistoryRequest): Promise<LoadedHistory> {
  const planned = await planHistoryRead(options);
  const loaded: MessageRow[] = [];
  let { beforeSequence, limit, reachesStart } = planned;
  for (;;) {
    const page =
      limit === 0
        ? []
        : await options.conversationsRepository.listRecentMessages(options.conversationId, {
            beforeSequence,
            limit,
          });
    const reachedStart = reachesStart || page.length < limit;
    reachesStart = false;
    beforeSequence = page.at(-1)?.sequence ?? beforeSequence;
    for (const message of page) if (message.id !== options.excludeMessageId) loaded.unshift(message);
    // A retry needs the user message it runs again: read on until one is in.
    if (options.retry && !reachedStart && !loaded.some((message) => message.role === 'user')) {
      limit = nextPage(limit);
      continue;
    }
    const retried = options.retry ? findRetriedTurn(loaded) : undefined;
    const turns = replayableTurns(retried?.earlier ?? loaded, options.checked);
    if (reachedStart || turns.totalChars > options.budgetChars)
      return {
        history: fitToBudget(turns, options.budgetChars).flat(),
        retried: retried && { message: retried.message },
      };
    limit = nextPage(limit);
  }
}

const nextPage = (limit: number) => Math.max(limit, FIRST_SIZES_PAGE) * 2;

/** How many of the newest messages the history needs, from their sizes. */
async function planHistoryRead(
  options: HistoryRequest,
): Promise<{ beforeSequence: number | undefined; limit: number; reachesStart: boolean }> {
  const sizes: MessageSize[] = [];
  let limit = FIRST_SIZES_PAGE;
  for (;;) {
    const page = await options.conversationsRepository.listRecentMessageSizes(options.conversationId, {
      beforeSequence: sizes.at(-1)?.sequence,
      limit,
    });
    sizes.push(...page);
    const needed = messagesOutweighingBudget(sizes, options);
    const reachesStart = page.length < limit;
    if (needed !== undefined || reachesStart) {
      const newest = sizes[0];
      return {
        // Up to and including the newest message sized: one that arrived since is not this turn's history.
        beforeSequence: newest && newest.sequence + 1,
        limit: needed ?? sizes.length,
        reachesStart: needed === undefined,
      };
    }
    limit *= 2;
  }
}

/**
 * How many of these messages (newest first) it takes for the turns they make to surely weigh more than
 * the budget, or undefined if all of them do not. Grouped as replayableTurns groups (a retried turn's
 * latest attempt replaces those before it, so only the newest answer after a user message counts), each
 * message at the lower bound of its replayed size. For a retry, only what precedes the retried user
 * message counts.
 */
function messagesOutweighingBudget(newestFirst: MessageSize[], options: HistoryRequest): number | undefined {
  let totalChars = 0;
  let answered = false;
  let beforeRetried = !options.retry;
  for (const [index, message] of newestFirst.entries()) {
    if (message.id === options.excludeMessageId) continue;
    if (!beforeRetried) {
      beforeRetried = message.role === 'user';
      continue;
    }
    if (message.role === 'user') {
      totalChars += USER_MESSAGE_OVERHEAD_CHARS + message.textChars;
      answered = false;
    } else if (!answered) {
      totalChars += replayedAnswerChars(message);
      answered = true;
    }
    if (totalChars > options.budgetChars) return index + 1;
  }
  return undefined;
}

/**
 * The stored array's elements, without its brackets, are what a turn replays of an answer. Stored text
 * this short (`[]`, or `null` for none) replays nothing.
 */
const replayedAnswerChars = (message: MessageSize) =>
  message.modelMessagesChars <= 4 ? 0 : message.modelMessagesChars - 2;
