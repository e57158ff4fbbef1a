import { errors } from '../shared/errors.js';
import type { MessageRow } from '../transcripts/conversations.repository.js';

/** Turns that may be tried again: the model failed, the time ran out, or the user stopped it. */
const RETRYABLE = new Set<MessageRow['status']>(['error', 'aborted']);

/**
 * What `{"conversationId","retry":true}` runs again: the conversation's last user message, whose turn
 * failed or was stopped. It is not stored a second time; the retry is a new assistant message after the
 * failed one, and the history the model sees is what came before that user message.
 */
export function findRetriedTurn<Message extends Pick<MessageRow, 'role' | 'status' | 'text'>>(
  messages: Message[],
): { message: string; earlier: Message[] } {
  const last = messages.at(-1);
  const userIndex = messages.findLastIndex((message) => message.role === 'user');
  const user = messages[userIndex];
  if (!last || !user || last.role !== 'assistant') {
    throw errors.validationFailed('This conversation has no turn to try again.');
  }
  if (last.status === 'streaming') throw errors.conversationBusy();
  if (!RETRYABLE.has(last.status)) {
    throw errors.validationFailed(
      'The last turn of this conversation did not fail; only a failed or stopped turn can be tried again.',
    );
  }
  return { message: user.text, earlier: messages.slice(0, userIndex) };
}
