import type {
  ConversationsRepository,
  MessageSize,
  ReplayedMessage,
} from '../transcripts/conversations.repository.js';
import { fitToBudget, type HistoryTurn, replayableTurns } from './conversation-history.js';
import { type HistoryCache, isFinished, type KnownSizes, sameSizes } from './history-cache.js';
import { findRetriedTurn } from './retry-turn.js';

/** Message sizes in the first page read; each further page is twice the one before. */
const FIRST_SIZES_PAGE = 32;
/** Message sizes kept for the next turn beyond those this one needs. */
const KEPT_SIZES_MARGIN = 8;
/** `{"role":"user","content":""}`: what a user message weighs replayed, besides its text. */
const USER_MESSAGE_OVERHEAD_CHARS = 28;

export interface LoadedHistory {
  /** The earlier turns the model replays (flattenTurns makes them the model messages in order). */
  turns: HistoryTurn[];
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
  /** Finished messages this process read and checked before (see history-cache.ts). */
  cache?: HistoryCache;
}

/**
 * Reads back only as much of a conversation as its next turn can replay. First the newest messages'
 * sizes (no content), until they add up to more than the context budget or the conversation's start is
 * reached; then those messages whole, in one read, but for the oldest of them that the cache has as they
 * still are (usually all but the previous turn's). Once the turns read are larger than the budget, the
 * oldest turn read (perhaps cut short) is dropped by the budget whatever came before it, so the history
 * is exactly what historyWithinBudget makes of the whole conversation, at a cost set by the budget rather
 * than by the conversation's length. Sizes are lower bounds (message-sizes.ts): the whole messages
 * always weigh at least as much, and should they not reach the budget after all (a message gone
 * meanwhile), older ones are read in pages until they do.
 */
export async function loadTurnHistory(options: HistoryRequest): Promise<LoadedHistory> {
  const planned = await planHistoryRead(options);
  const newestFirst: ReplayedMessage[] = [];
  let { beforeSequence, limit, reachesStart } = planned;
  let { page, read } = await readPlannedMessages(planned, options);
  for (;;) {
    const reachedStart = reachesStart || page.length < limit;
    beforeSequence = page.at(-1)?.sequence ?? beforeSequence;
    for (const message of page) if (message.id !== options.excludeMessageId) newestFirst.push(message);
    // A retry needs the user message it runs again: read on until one is in.
    const needsMore =
      options.retry && !reachedStart && !newestFirst.some((message) => message.role === 'user');
    if (!needsMore) {
      const loaded = [...newestFirst].reverse();
      const retried = options.retry ? findRetriedTurn(loaded) : undefined;
      const replayed = retried?.earlier ?? loaded;
      const turns = replayableTurns(replayed, options.cache);
      // Only what was checked: a retry's later messages and the continued turn's own are not replayed.
      const checked = retried || options.excludeMessageId ? read.filter((m) => replayed.includes(m)) : read;
      rememberChecked(checked, planned.sizes, options.cache);
      if (reachedStart || turns.totalChars > options.budgetChars)
        return {
          turns: fitToBudget(turns, options.budgetChars),
          retried: retried && { message: retried.message },
        };
    }
    limit = nextPage(limit);
    reachesStart = false;
    page = await options.conversationsRepository.listRecentMessages(options.conversationId, {
      beforeSequence,
      limit,
    });
    read = [...read, ...page];
  }
}

interface PlannedRead {
  /** Up to and including the newest message sized. */
  beforeSequence: number | undefined;
  /** How many of the newest messages the history needs. */
  limit: number;
  /** Whether those are all of the conversation's messages. */
  reachesStart: boolean;
  /** The messages sized, newest first. */
  sizes: MessageSize[];
}

/**
 * The planned messages, newest first (`page`): the newest of them read whole (`read`), down to the oldest
 * the cache does not have as the size read describes it; the older ones from the cache.
 */
async function readPlannedMessages(
  planned: PlannedRead,
  options: HistoryRequest,
): Promise<{ page: ReplayedMessage[]; read: ReplayedMessage[] }> {
  const wanted = planned.sizes.slice(0, planned.limit);
  const recalled = wanted.map((size) => options.cache?.recall(size));
  let unread = recalled.length;
  while (unread > 0 && recalled[unread - 1] !== undefined) unread--;
  const fromCache = recalled.slice(unread) as ReplayedMessage[];
  const oldestUnread = wanted[unread - 1];
  if (!oldestUnread) return { page: fromCache, read: [] };
  const whole = await options.conversationsRepository.listRecentMessages(options.conversationId, {
    beforeSequence: planned.beforeSequence,
    limit: unread,
  });
  // Should a message have gone meanwhile, the read reaches further back: not into what the cache gives.
  const read = whole.filter((message) => message.sequence >= oldestUnread.sequence);
  return { page: [...read, ...fromCache], read };
}

/**
 * Caches the finished messages just read whole (newest first) and checked whose sizes were read
 * (history-cache.ts): usually only the previous turn's; the others came from the cache. Oldest first, so
 * that a full cache lets go of the oldest.
 */
function rememberChecked(read: ReplayedMessage[], sizes: MessageSize[], cache: HistoryCache | undefined) {
  if (!cache || read.length === 0) return;
  const sizeOf = new Map(sizes.map((size) => [size.id, size]));
  for (let index = read.length - 1; index >= 0; index--) {
    const message = read[index] as ReplayedMessage;
    const size = sizeOf.get(message.id);
    if (size) cache.remember(message, size);
  }
}

const nextPage = (limit: number) => Math.max(limit, FIRST_SIZES_PAGE) * 2;

/**
 * How many of the newest messages the history needs, from their sizes: those read afresh, or those the
 * cache keeps from the last read with only what came since read again (knownSizesSince).
 */
async function planHistoryRead(options: HistoryRequest): Promise<PlannedRead> {
  const known = await knownSizesSince(options);
  const sizes = [...(known?.sizes ?? [])];
  let reachesStart = known?.reachesStart ?? false;
  let needed = known && messagesOutweighingBudget(sizes, options);
  for (let limit = FIRST_SIZES_PAGE; needed === undefined && !reachesStart; limit *= 2) {
    const page = await options.conversationsRepository.listRecentMessageSizes(options.conversationId, {
      beforeSequence: sizes.at(-1)?.sequence,
      limit,
    });
    sizes.push(...page);
    reachesStart = page.length < limit;
    needed = messagesOutweighingBudget(sizes, options);
  }
  // Kept for the next turn: what this one needs and a few more (the next turn's own may weigh less).
  const kept = Math.min(sizes.length, (needed ?? sizes.length) + KEPT_SIZES_MARGIN);
  options.cache?.rememberSizes(options.conversationId, {
    sizes: sizes.slice(0, kept),
    reachesStart: reachesStart && kept === sizes.length,
  });
  const newest = sizes[0];
  return {
    // Up to and including the newest message sized: one that arrived since is not this turn's history.
    beforeSequence: newest && newest.sequence + 1,
    limit: needed ?? sizes.length,
    reachesStart: needed === undefined,
    sizes,
  };
}

/**
 * The conversation's newest message sizes, from those the cache kept at the last read: only the sizes
 * from the newest message that was finished then, with all older ones kept, are read again. Finished
 * messages are never written again, so the older ones are as they were; that one must come back as it
 * was, or everything is read afresh (it is gone with its conversation, or more than a page came since).
 */
async function knownSizesSince(options: HistoryRequest): Promise<KnownSizes | undefined> {
  const known = options.cache?.recallSizes(options.conversationId);
  if (!known) return undefined;
  let settled = known.sizes.length;
  while (settled > 0 && isFinished(known.sizes[settled - 1] as MessageSize)) settled--;
  const from = known.sizes[settled];
  if (!from) return undefined;
  const since = await options.conversationsRepository.listRecentMessageSizes(options.conversationId, {
    fromSequence: from.sequence,
    limit: FIRST_SIZES_PAGE,
  });
  const oldest = since.at(-1);
  if (oldest?.id !== from.id || !sameSizes(oldest, from)) return undefined;
  return { sizes: [...since, ...known.sizes.slice(settled + 1)], reachesStart: known.reachesStart };
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
