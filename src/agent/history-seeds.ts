import { storableText } from '../transcripts/message-text.js';
import type { SeededMessage } from './history-cache.js';

/*
 * What a turn hands the history cache of the messages it has just stored finished (history-cache.ts,
 * `seed`), so that the conversation's next turn on this instance reads and checks none of them again.
 * Each is built as the repositories store it: text through storableText, model messages as the JSON text
 * the row holds. Only turns of a conversation that already had one seed (turn-start.ts, chat-turn.ts):
 * a first turn's messages would mostly fill the cache for conversations that never go on.
 */

/** A new turn's user message, stored `complete` by beginTurn. */
export function seededUserMessage(message: { id: string; text: string }): SeededMessage {
  return {
    id: message.id,
    role: 'user',
    status: 'complete',
    text: storableText(message.text),
    modelMessagesJson: null,
  };
}

/**
 * A new turn's answer stored `complete`: its text, and every step's model messages appended in order to
 * an empty array (appendStep and endTurn splice each step's JSON array into the stored one), so the row
 * holds the turn's messages serialised whole. A paused and continued turn is not seeded: its row was
 * written by more than one run.
 */
export function seededAnswer(answer: { id: string; text: string; modelMessages: unknown[] }): SeededMessage {
  return {
    id: answer.id,
    role: 'assistant',
    status: 'complete',
    text: storableText(answer.text),
    modelMessagesJson: JSON.stringify(answer.modelMessages),
  };
}
