import type { ApprovalView } from '../approvals/approvals.usecases.js';
import { type AgentMetrics, noMetrics, type TurnMetricOutcome } from '../metrics/agent-metrics.js';
import type { Clock } from '../shared/clock.js';
import { type AppError, errors } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ConversationsRepository } from '../transcripts/conversations.repository.js';
import type { TurnUsage } from '../usage/turn-usage.js';
import type { AuthorizationFlow } from '../wps-auth/authorization-flow.js';
import type { WpsAuthorizationRequiredError } from '../wps-auth/wps-auth.errors.js';
import type { TurnOutcome } from './chat-turn.js';
import type { TurnDeadline } from './turn-deadline.js';

/** How the model run ended, as the loop saw it; what is stored may differ (see `effectiveEnd`). */
export type RunEnd =
  | { status: 'complete' }
  | { status: 'aborted' }
  | { status: 'model-failed'; cause: unknown };

/** What is stored and answered. */
type StoredEnd = { status: 'complete' } | { status: 'aborted' } | { status: 'error'; error: AppError };

/** Said instead of a link when no authorize URL could be made: still true, still actionable. */
const RECONNECT_WITHOUT_LINK =
  'Reconnect WPS to continue: press Connect WPS in the console, or ask POST /v1/wps/authorize for a link.';

export interface TurnEndingOptions {
  conversationsRepository: ConversationsRepository;
  authorizationFlow: AuthorizationFlow;
  clock: Clock;
  logger: Logger;
  userId: string;
  conversationId: string;
  messageId: string;
  clientSignal: AbortSignal;
  deadline: TurnDeadline;
  /** The turn's text so far; `appendText` adds the reconnect notice to it. */
  text: () => string;
  appendText: (text: string) => void;
  authorizationLost: () => WpsAuthorizationRequiredError | undefined;
  /** The model messages not stored yet (the last step's), appended with the end of the turn. */
  finalModelMessages: () => unknown[] | undefined;
  /** The safe sentence users see for a model failure (or the time limit). */
  describeError: (error: unknown) => string;
  /**
   * A complete run that held write calls back for approval stores the paused turn instead (see
   * turn-continuation.ts) and answers with the approvals; undefined when nothing waits.
   */
  pauseForApprovals?: () => Promise<ApprovalView[] | undefined>;
  /** The model usage of this run so far: stored with the end (added to the message's) and counted. */
  usage: () => TurnUsage;
  metrics?: AgentMetrics;
}

const METRIC_OUTCOMES: Record<TurnOutcome['status'], TurnMetricOutcome> = {
  complete: 'complete',
  'awaiting-approval': 'awaiting_approval',
  aborted: 'aborted',
  'authorization-lost': 'authorization_lost',
  error: 'error',
};

/**
 * The one way a turn ends. The first `end` wins (the AI SDK may report an error and then a finish, or a
 * finish after the client went away); the stored status follows what really happened; a database that
 * refuses the write still ends the turn with an error and settles `outcome`. Neither `end` nor `outcome`
 * ever rejects, so no end of a turn can crash the process or leave a stream open.
 */
export function createTurnEnding(options: TurnEndingOptions) {
  const { conversationsRepository, logger, metrics = noMetrics } = options;
  const started = performance.now(); // a duration for the metrics, not a point in time
  let settle: (outcome: TurnOutcome) => void = () => undefined;
  const outcome = new Promise<TurnOutcome>((resolve) => {
    settle = resolve;
  });
  let ended = false;
  let persistenceFailure: unknown;

  const modelFailure = (cause: unknown): StoredEnd => {
    const reason = options.describeError(cause);
    // Not the error object: the provider's errors carry the whole prompt (the user's documents).
    logger.warn(
      { userId: options.userId, conversationId: options.conversationId, reason },
      'model request failed',
    );
    return { status: 'error', error: errors.modelError(reason, cause) };
  };

  const effectiveEnd = (requested: RunEnd): StoredEnd => {
    if (persistenceFailure !== undefined)
      return { status: 'error', error: errors.turnNotSaved(persistenceFailure) };
    // The client is gone (Stop, a closed tab): the SDK may still report a finish of the steps so far.
    if (options.clientSignal.aborted) return { status: 'aborted' };
    if (options.deadline.timedOut()) return modelFailure(options.deadline.signal.reason);
    return requested.status === 'model-failed' ? modelFailure(requested.cause) : requested;
  };

  const store = async (end: StoredEnd): Promise<TurnOutcome> => {
    const modelMessages = options.finalModelMessages();
    const lost = end.status === 'complete' ? options.authorizationLost() : undefined;
    const approvals = end.status === 'complete' && !lost ? await options.pauseForApprovals?.() : undefined;
    if (approvals) return { status: 'awaiting-approval', approvals };
    let reconnect: { authorizeUrl: string | undefined; notice: string } | undefined;
    if (lost) {
      const authorizeUrl = await freshAuthorizeUrl(options);
      const notice = `WPS authorization was lost while I was working, so I stopped. ${
        authorizeUrl ? `Reconnect WPS to continue: ${authorizeUrl}` : RECONNECT_WITHOUT_LINK
      }`;
      options.appendText(notice);
      reconnect = { authorizeUrl, notice };
    }
    const error = end.status === 'error' ? end.error : undefined;
    await conversationsRepository.endTurn({
      conversationId: options.conversationId,
      messageId: options.messageId,
      changes: {
        text: options.text(),
        status: end.status,
        error: error ? `${error.code}: ${error.message}` : null,
      },
      appendModelMessages: modelMessages,
      usage: options.usage(),
      now: options.clock.now(),
    });
    if (reconnect) return { status: 'authorization-lost', ...reconnect };
    return end;
  };

  const notSaved = async (cause: unknown): Promise<TurnOutcome> => {
    logger.error(
      {
        err: cause,
        userId: options.userId,
        conversationId: options.conversationId,
        messageId: options.messageId,
      },
      'could not store the end of a chat turn',
    );
    const error = errors.turnNotSaved(cause);
    try {
      // The write may have failed for a passing reason (a lock): leave the turn as failed, not streaming.
      await conversationsRepository.failUnfinishedTurn(options.messageId, `${error.code}: ${error.message}`);
    } catch (again: unknown) {
      logger.warn(
        { err: again, messageId: options.messageId },
        'could not mark the chat turn as failed either',
      );
    }
    return { status: 'error', error };
  };

  return {
    outcome,
    /** Stores how the turn ended, once; later calls are ignored. Never rejects. */
    async end(requested: RunEnd): Promise<void> {
      if (ended) return;
      ended = true;
      options.deadline.clear();
      let stored: TurnOutcome;
      try {
        stored = await store(effectiveEnd(requested));
      } catch (error: unknown) {
        stored = await notSaved(error);
      }
      // Counted before the answer goes out: a scrape right after a turn's answer includes the turn.
      metrics.modelUsed(options.usage());
      metrics.turnEnded(METRIC_OUTCOMES[stored.status], performance.now() - started);
      settle(stored);
    },
    /**
     * A write during the turn failed: the turn stops after this step (see `stopRequested`) and ends as
     * not saved, rather than answering with steps the transcript does not have.
     */
    failedToStore(error: unknown): void {
      logger.error({ err: error, messageId: options.messageId }, 'could not store a chat turn step');
      persistenceFailure ??= error;
    },
    stopRequested: () => persistenceFailure !== undefined,
  };
}

/** An authorize URL for the reconnect notice, asked twice: a notice with an empty link helps no one. */
async function freshAuthorizeUrl(options: TurnEndingOptions): Promise<string | undefined> {
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      return await options.authorizationFlow.authorizeUrlFor(options.userId);
    } catch (error: unknown) {
      options.logger.warn(
        { err: error, userId: options.userId, attempt },
        'could not create an authorize URL for the reconnect notice',
      );
    }
  }
  return undefined;
}
