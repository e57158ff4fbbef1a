import { LRUCache } from 'lru-cache';
import { deepFreeze } from '../shared/deep-freeze.js';
import {
  FINISHED_STATUSES,
  type MessageSize,
  type ReplayedMessage,
} from '../transcripts/conversations.repository.js';
import type { ReplayedUser } from './conversation-history.js';

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
  /**
   * A known user message as the model replays it, made once by `make` (frozen, so that its converted form
   * can be kept by identity too: history-prompt.ts); for a message not known, `make()` itself.
   */
  replayedUser(message: ReplayedMessage, make: (message: ReplayedMessage) => ReplayedUser): ReplayedUser;
  /** A message that passed the check, read whole alongside its sizes; kept if both say it is finished. */
  remember(message: ReplayedMessage, size: MessageSize): void;
  /**
   * A finished message this process has just stored itself, as it stored it: the next turn's size read
   * then finds it here instead of reading it whole (see SeededMessage).
   */
  seed(message: SeededMessage): void;
  /** A conversation's newest message sizes as this process last read them. */
  recallSizes(conversationId: string): KnownSizes | undefined;
  rememberSizes(conversationId: string, sizes: KnownSizes): void;
}

/**
 * A message as its turn stored it: `text` as written to the row (storableText), `modelMessagesJson` the
 * exact JSON text its model messages column holds (null for none). Its place in the conversation is left
 * to the size read that recalls it, which states it. Its model messages are taken as checked: they are the
 * AI SDK's own response messages, which the SDK documents as input for the next call, parsed back from
 * the very text stored, so they are what a read of the row would give.
 */
export interface SeededMessage {
  id: string;
  role: ReplayedMessage['role'];
  status: (typeof FINISHED_STATUSES)[number];
  text: string;
  modelMessagesJson: string | null;
}

export interface KnownSizes {
  /** Newest first. */
  sizes: readonly MessageSize[];
  /** Whether the oldest of them is the conversation's first message. */
  reachesStart: boolean;
}

const FINISHED = new Set<string>(FINISHED_STATUSES);

/**
 * What `length()` makes of stored text in SQLite and PostgreSQL: characters (code points), so a pair of
 * UTF-16 surrogates counts once. Stored text holds no NUL (storableText; JSON escapes it).
 */
export function storedLength(text: string): number {
  if (!/[\uD800-\uDBFF]/.test(text)) return text.length;
  let characters = 0;
  for (const _ of text) characters++;
  return characters;
}
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
  | { kind: 'message'; message: ReplayedMessage; size: StoredSizes }
  /** A message this process stored, kept as the text it stored until a size read recalls it. */
  | { kind: 'seeded'; seeded: SeededMessage; size: StoredSizes }
  | { kind: 'sizes'; known: KnownSizes };

const entryChars = (entry: Entry) =>
  ENTRY_OVERHEAD_CHARS +
  (entry.kind === 'sizes'
    ? entry.known.sizes.length * SIZE_CHARS
    : entry.size.textChars + entry.size.modelMessagesChars);

export function createHistoryCache(options: { maxChars: number }): HistoryCache {
  // One LRU for both kinds, so that one bound holds; a key's prefix says which kind it is.
  const cached =
    options.maxChars > 0
      ? new LRUCache<string, Entry>({ maxSize: options.maxChars, sizeCalculation: entryChars })
      : undefined;
  const messageKey = (id: string) => `message:${id}`;
  const sizesKey = (conversationId: string) => `sizes:${conversationId}`;
  // Only finished messages are ever cached: being a cached object is being finished and checked, and
  // stays so after the cache lets go of it (it is frozen). A set of them answers without building a key
  // and looking it up in the LRU, which a turn asked about twice for every message it replays.
  const checked = new WeakSet<ReplayedMessage>();
  const known = (message: ReplayedMessage) => checked.has(message);
  const keep = (id: string, message: ReplayedMessage, size: StoredSizes) => {
    checked.add(message);
    cached?.set(messageKey(id), { kind: 'message', message, size });
  };
  // Keyed by the cached (frozen) message objects: an entry goes with its message.
  const measured = new WeakMap<ReplayedMessage, number>();
  const users = new WeakMap<ReplayedMessage, ReplayedUser>();
  return {
    recall(size) {
      const entry = cached?.get(messageKey(size.id));
      if (entry?.kind !== 'message' && entry?.kind !== 'seeded') return undefined;
      const role = entry.kind === 'message' ? entry.message.role : entry.seeded.role;
      if (!sameSizes(size, entry.size) || role !== size.role) {
        cached?.delete(messageKey(size.id));
        return undefined;
      }
      if (entry.kind === 'message') return entry.message;
      // A seeded message, first recalled: parsed and placed once, then kept as any message read whole.
      const { seeded } = entry;
      const json = seeded.modelMessagesJson;
      const message = deepFreeze({
        id: seeded.id,
        role: seeded.role,
        status: seeded.status,
        sequence: size.sequence,
        text: seeded.text,
        modelMessages: json === null ? null : (JSON.parse(json) as unknown[]),
      });
      // JSON.stringify of the parsed text is that text: the replayed size needs no serialising either.
      if (json !== null) measured.set(message, json.length);
      keep(size.id, message, entry.size);
      return message;
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
    replayedUser(message, make) {
      if (!known(message)) return make(message);
      let user = users.get(message);
      if (!user) {
        user = deepFreeze(make(message));
        users.set(message, user);
      }
      return user;
    },
    remember(message, size) {
      if (!cached || !isFinished(message) || message.status !== size.status) return;
      if (known(message)) return;
      keep(message.id, deepFreeze(message), {
        status: size.status,
        textChars: size.textChars,
        modelMessagesChars: size.modelMessagesChars,
      });
    },
    seed(seeded) {
      // Kept as the text stored, parsed only if the conversation goes on here: most turns' answers are
      // never recalled by this process, and a string costs the collector nothing to keep.
      cached?.set(messageKey(seeded.id), {
        kind: 'seeded',
        seeded,
        size: {
          status: seeded.status,
          textChars: storedLength(seeded.text),
          modelMessagesChars: seeded.modelMessagesJson === null ? 0 : storedLength(seeded.modelMessagesJson),
        },
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
