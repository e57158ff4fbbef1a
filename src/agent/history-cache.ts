import { LRUCache } from 'lru-cache';
import type { MessageSize, ReplayedMessage } from '../transcripts/conversations.repository.js';

/**
 * The finished messages of recent histories, as this process last read and checked them, so that a
 * conversation's next turn reads whole only the messages it has not seen (its previous turn's) and
 * checks each message against the model-message schema once per process rather than on every turn
 * (docs/benchmarks.md, turn depth). Only finished messages are kept: `complete` and `error` rows are never
 * written again, while a streaming, paused or aborted one may still have steps appended (a late end of an
 * aborted turn). Every use is validated against the size read that starts the history read, which every
 * instance does anyway: a message is taken from here only if the database still has it, with the same
 * status and the same stored lengths; anything else is read again. Bounded by the characters kept.
 *
 * Cached messages are frozen, and so is the history built from them: one turn's history is another's, and
 * a change to it in place would throw rather than reach the next turn.
 */
export interface HistoryCache {
  /** The message a size read describes, if this process read it finished with the same sizes. */
  recall(size: MessageSize): ReplayedMessage | undefined;
  /** Whether this message passed the model-message check in this process (finished ones only). */
  known(message: ReplayedMessage): boolean;
  /** A message that passed the check, read whole alongside its sizes; kept if both say it is finished. */
  remember(message: ReplayedMessage, size: MessageSize): void;
}

const FINISHED = new Set<ReplayedMessage['status']>(['complete', 'error']);
/** What a cached message costs besides its characters: its object and the cache's entry. */
const ENTRY_OVERHEAD_CHARS = 200;

interface CachedMessage {
  message: ReplayedMessage;
  textChars: number;
  modelMessagesChars: number;
}

export function createHistoryCache(options: { maxChars: number }): HistoryCache {
  const cached =
    options.maxChars > 0
      ? new LRUCache<string, CachedMessage>({
          maxSize: options.maxChars,
          sizeCalculation: (entry) => ENTRY_OVERHEAD_CHARS + entry.textChars + entry.modelMessagesChars,
        })
      : undefined;
  // Only finished messages are ever cached: being the cached object is being finished and checked.
  const known = (message: ReplayedMessage) => cached?.peek(message.id)?.message === message;
  return {
    recall(size) {
      const entry = cached?.get(size.id);
      if (!entry) return undefined;
      const same =
        entry.message.status === size.status &&
        entry.textChars === size.textChars &&
        entry.modelMessagesChars === size.modelMessagesChars;
      if (same) return entry.message;
      cached?.delete(size.id);
      return undefined;
    },
    known,
    remember(message, size) {
      if (!cached || !FINISHED.has(message.status) || message.status !== size.status) return;
      if (known(message)) return;
      cached.set(message.id, {
        message: deepFreeze(message),
        textChars: size.textChars,
        modelMessagesChars: size.modelMessagesChars,
      });
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
