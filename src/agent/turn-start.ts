import type { ApprovalAnswer } from '../approvals/approvals.usecases.js';
import type { Clock } from '../shared/clock.js';
import { createId } from '../shared/ids.js';
import type { ConversationRow, ConversationsRepository } from '../transcripts/conversations.repository.js';
import type { User } from '../users/users.repository.js';
import type { StartedTurn } from './chat-turn.js';
import { type HistoryTurn, titleFrom } from './conversation-history.js';
import type { HistoryCache } from './history-cache.js';
import { loadTurnHistory } from './history-loader.js';
import { seededUserMessage } from './history-seeds.js';
import { describeModelError } from './model-errors.js';
import { findRetriedTurn } from './retry-turn.js';
import {
  type Continuation,
  resolveContinuation,
  type SafeEditDependencies,
  waitingTurn,
} from './turn-continuation.js';

/** What storing a turn's start gives the model loop, or a turn that waits for more approval answers. */
export type TurnStart =
  | { kind: 'waiting'; turn: StartedTurn }
  | {
      kind: 'started';
      conversationId: string;
      messageId: string;
      continuation: Exclude<Continuation, { kind: 'waiting' }>;
      /** The earlier turns the model replays. */
      history: HistoryTurn[];
      userText: string;
    };

/**
 * Records a chat request before the model runs: approval answers (continuing a paused turn), or the
 * user's message and the empty `streaming` assistant message of a new turn, and the history the model
 * replays. Refusals (`conversation_busy`, the in-flight cap) come from here, before any model call.
 */
export async function storeTurnStart(
  dependencies: {
    conversationsRepository: ConversationsRepository;
    safeEdits: SafeEditDependencies;
    clock: Clock;
    settings: { contextBudgetChars: number };
    secrets: string[];
    historyCache?: HistoryCache;
  },
  context: {
    user: User;
    existing: ConversationRow | undefined;
    request: { message?: string; approvals?: ApprovalAnswer[]; retry?: boolean };
  },
): Promise<TurnStart> {
  const { conversationsRepository, clock } = dependencies;
  const { user, existing, request } = context;
  const now = clock.now();
  const conversationId = existing?.id ?? createId('conv');
  const continuation = await resolveContinuation(dependencies.safeEdits, {
    user,
    conversationId,
    newConversation: !existing,
    request: { approvals: request.approvals },
  });
  if (continuation.kind === 'waiting')
    return {
      kind: 'waiting',
      turn: waitingTurn(conversationId, continuation, (error) =>
        describeModelError(error, dependencies.secrets),
      ),
    };
  const { turns: history, retried } = existing
    ? await loadTurnHistory({
        conversationsRepository,
        conversationId,
        excludeMessageId: continuation.messageId,
        retry: request.retry === true,
        budgetChars: dependencies.settings.contextBudgetChars,
        cache: dependencies.historyCache,
      })
    : { turns: [], retried: request.retry ? findRetriedTurn([]) : undefined };
  const userText = retried?.message ?? request.message ?? '';
  const messageId = continuation.messageId ?? createId('msg');
  if (continuation.kind === 'new-turn') {
    const userMessage = retried
      ? undefined
      : {
          id: createId('msg'),
          role: 'user' as const,
          text: userText,
          status: 'complete' as const,
          modelMessages: null,
          error: null,
          createdAt: now,
        };
    await conversationsRepository.beginTurn({
      userId: user.id,
      newConversation: existing
        ? undefined
        : { id: conversationId, userId: user.id, title: titleFrom(userText), createdAt: now, updatedAt: now },
      conversationId,
      messages: [
        ...(userMessage ? [userMessage] : []),
        {
          id: messageId,
          role: 'assistant',
          text: '',
          status: 'streaming',
          modelMessages: [],
          error: null,
          createdAt: now,
        },
      ],
      now,
    });
    // Finished as stored: the conversation's next turn on this instance need not read it back. Not a new
    // conversation's first message: most conversations never get a second turn, and the cache would fill
    // with them; a conversation that does reads its first turn back once.
    if (userMessage && existing) dependencies.historyCache?.seed(seededUserMessage(userMessage));
  }
  return { kind: 'started', conversationId, messageId, continuation, history, userText };
}
