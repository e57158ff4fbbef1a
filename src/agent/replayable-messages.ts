import { LRUCache } from 'lru-cache';
import type { MessageRow } from '../transcripts/conversations.repository.js';

/**
 * Remembers which stored assistant messages already passed the model-message check, so a conversation's
 * history is checked once per process rather than on every turn that replays it (a deep conversation's
 * turns spent about a sixth of their CPU re-checking the same messages, docs/benchmarks.md). Only
 * finished messages are remembered: `complete` and `error` rows are never written again, while a
 * streaming, paused or aborted one may still have steps appended (a late end of an aborted turn).
 */
export interface ReplayableMessages {
  known(message: MessageRow): boolean;
  remember(message: MessageRow): void;
}

const FINISHED = new Set<MessageRow['status']>(['complete', 'error']);

export function createReplayableMessages(options: { max: number }): ReplayableMessages {
  const checked = new LRUCache<string, true>({ max: options.max });
  return {
    known: (message) => FINISHED.has(message.status) && checked.has(message.id),
    remember: (message) => {
      if (FINISHED.has(message.status)) checked.set(message.id, true);
    },
  };
}
