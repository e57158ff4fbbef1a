import { LRUCache } from 'lru-cache';
import {
  FINISHED_STATUSES,
  type MessageSize,
  type ReplayedMessage,
} from '../transcripts/conversations.repository.js';

/**
 * The finished messages of recent histories, as this process last read and checked them, so that a
 * conversation's next turn reads whole only the messages it has not seen (its previous turn's) and
 * checks each message against the model-message schema once per process rather than on every turn
 * (docs/benchmarks.md, turn depth). Only finished messages are kept: `complete` and `error` rows are never
 * written again (FINISHED_STATUSES), while a streaming, paused or aborted one may still have steps
 * appended (a late end of an aborted turn). Every use is validated against the size read that starts the
 * history read, which every instance does anyway: a message is taken from here only if the database
 * still has it, with the same status and the same stored lengths; anything else is read again.
 *
 * It also keeps each conversation's newest message sizes as last read, so that the next size read asks
 * only for what came since (history-loader.ts). Bounded by the characters kept, both kinds together.
 *
 * Cached messages are frozen, and so is the history built from them: one turn's history is another's, and
 * a change to it in place would throw rather than reach the next turn.
 */
export interface HistoryCache {
  /** The message a size read describes, if this process read it finished with the same sizes. */
  recall(size: MessageSize): ReplayedMessage | undefined;
  /** Whether this message passed the model-message check in this process (finished ones only). */
  known(message: ReplayedMessage): boolean;
  /**
   * The JSON length of a known message's model messages, measured once by `measure`; for a message not
   * known, `measure()` itself (nothing is kept).
   */
  answerChars(message: ReplayedMessage, measure: () => number): number;
  /** A message that passed the check, read whole alongside its sizes; kept if both say it is finished. */
  remember(message: ReplayedMessage, size: MessageSize): void;
  /** A conversation's newest message sizes as this process last read them. */
  recallSizes(conversationId: string): KnownSizes | undefined;
  rememberSizes(conversationId: string, sizes: KnownSizes): void;
}

export interface KnownSizes {
  /** Newest first. */
  sizes: readonly MessageSize[];
  /** Whether the oldest of them is the conversation's first message. */
  reachesStart: boolean;
}

const FINISHED = new Set<string>(FINISHED_STATUSES);
export const isFinished = (message: { status: string }) => FINISHED.has(message.status);

type StoredSizes = Pick<MessageSize, 'status' | 'textChars' | 'modelMessagesChars'>;
/** Whether a size read describes a message as stored when it was last read: same status, same lengths. */
export const sameSizes = (read: StoredSizes, before: StoredSizes) =>
  read.status === before.status &&
  read.textChars === before.textChars &&
  read.modelMessagesChars === before.modelMessagesChars;
/** What a cached message costs besides its characters: its object and the cache's entry. */
const ENTRY_OVERHEAD_CHARS = 200;
/** What one message's sizes cost, counted as characters. */
const SIZE_CHARS = 100;

type Entry =
  /** `size`: the message's sizes when it was read, its status among them. */
  { kind: 'message'; message: ReplayedMessage; size: StoredSizes } | { kind: 'sizes'; known: KnownSizes };

const entryChars = (entry: Entry) =>
  ENTRY_OVERHEAD_CHARS +
  (entry.kind === 'message'
    ? entry.size.textChars + entry.size.modelMessagesChars
    : entry.known.sizes.length * SIZE_CHARS);

export function createHistoryCache(options: { maxChars: number }): HistoryCache {
  // One LRU for both kinds, so that one bound holds; a key's prefix says which kind it is.
  const cached =
    options.maxChars > 0
      ? new LRUCache<string, Entry>({ maxSize: options.maxChars, sizeCalculation: entryChars })
      : undefined;
  const messageKey = (id: string) => `message:${id}`;
  const sizesKey = (conversationId: string) => `sizes:${conversationId}`;
  // Only finished messages are ever cached: being the cached object is being finished and checked.
  const known = (message: ReplayedMessage) => {
    const entry = cached?.peek(messageKey(message.id));
    return entry?.kind === 'message' && entry.message === message;
  };
  // Keyed by the cached (frozen) message objects: an entry goes with its message.
  const measured = new WeakMap<ReplayedMessage, number>();
  return {
    recall(size) {
      const entry = cached?.get(messageKey(size.id));
      if (entry?.kind !== 'message') return undefined;
      if (sameSizes(size, entry.size)) return entry.message;
      cached?.delete(messageKey(size.id));
      return undefined;
    },
    known,
    answerChars(message, measure) {
      if (!known(message)) return measure();
      let chars = measured.get(message);
      if (chars === undefined) {
        chars = measure();
        measured.set(message, chars);
      }
      return chars;
    },
    remember(message, size) {
      if (!cached || !isFinished(message) || message.status !== size.status) return;
      if (known(message)) return;
      cached.set(messageKey(message.id), {
        kind: 'message',
        message: deepFreeze(message),
        size: { status: size.status, textChars: size.textChars, modelMessagesChars: size.modelMessagesChars },
      });
    },
    recallSizes(conversationId) {
      const entry = cached?.get(sizesKey(conversationId));
      return entry?.kind === 'sizes' ? entry.known : undefined;
    },
    rememberSizes(conversationId, known) {
      cached?.set(sizesKey(conversationId), { kind: 'sizes', known: deepFreeze(known) });
    },
  };
}

function deepFreeze<Value>(value: Value): Value {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
