import {
  generateText,
  type LanguageModel,
  type ModelMessage,
  type StreamTextResult,
  stepCountIs,
  streamText,
  type ToolSet,
} from 'ai';
import type { ApprovalAnswer, ApprovalView } from '../approvals/approvals.usecases.js';
import type { ArgumentValidator } from '../mcp/argument-validator.js';
import type { ToolCatalog } from '../mcp/tool-catalog.js';
import type { ToolRunner } from '../mcp/tool-runner.js';
import type { Clock } from '../shared/clock.js';
import { type AppError, errors, isAppError } from '../shared/errors.js';
import { createId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { ConversationsRepository } from '../transcripts/conversations.repository.js';
import type { User } from '../users/users.repository.js';
import type { AuthorizationFlow } from '../wps-auth/authorization-flow.js';
import { authorizationRequiredAnswer } from '../wps-auth/authorization-required.js';
import type { TokenManager } from '../wps-auth/token-manager.js';
import { findAuthorizationRequired, WpsAuthorizationRequiredError } from '../wps-auth/wps-auth.errors.js';
import { historyWithinBudget, titleFrom } from './conversation-history.js';
import type { ProviderOptions } from './language-model.js';
import { describeModelError } from './model-errors.js';
import type { NormalizedSchemaCache } from './schema-normalizer.js';
import { systemPrompt } from './system-prompt.js';
import {
  type HeldBackCall,
  heldBackCalls,
  pauseForApprovals,
  resolveContinuation,
  type SafeEditDependencies,
  waitingTurn,
} from './turn-continuation.js';
import { createWpsToolSet, type TurnToolCall } from './wps-tools.js';

export type TurnOutcome =
  | { status: 'complete' }
  | { status: 'awaiting-approval'; approvals: ApprovalView[] }
  | { status: 'aborted' }
  | { status: 'authorization-lost'; authorizeUrl: string; notice: string }
  | { status: 'error'; error: AppError };

export interface StartedTurn {
  conversationId: string;
  messageId: string;
  /** The model's stream, for streaming clients (`stream: true`); undefined otherwise. */
  result: StreamTextResult<ToolSet, never> | undefined;
  toolCalls: TurnToolCall[];
  /** All text the model wrote in this turn, across steps. */
  text: () => string;
  /** Settles when the turn ends, however it ends; never rejects. */
  outcome: Promise<TurnOutcome>;
  /** Maps any error to the safe text the UI stream shows. */
  describeError: (error: unknown) => string;
}

export interface ChatDependencies {
  model: LanguageModel;
  catalog: ToolCatalog;
  runner: ToolRunner;
  validator: ArgumentValidator;
  tokenManager: TokenManager;
  authorizationFlow: AuthorizationFlow;
  conversationsRepository: ConversationsRepository;
  clock: Clock;
  logger: Logger;
  settings: {
    maxSteps: number;
    /** A turn still running after this long is stopped and answered as a model failure. */
    turnTimeoutMs: number;
    toolOutputBudgetChars: number;
    contextBudgetChars: number;
    maxRetries?: number;
  };
  /** Redacted from any model error text shown to users. */
  secrets: string[];
  /** Tool schemas normalised for the model, reused across turns (see createWpsToolSet). */
  schemaCache: NormalizedSchemaCache;
  /** Passed to every model call (see modelProviderOptions). */
  providerOptions?: ProviderOptions;
  /** Approvals of write calls (TOOL_APPROVAL); see turn-continuation.ts. */
  safeEdits: SafeEditDependencies;
}

/**
 * Starts one chat turn: checks WPS first (no model call without it), stores the user's message, replays
 * the conversation's history, and runs the model with the user's WPS tools. Every finished step is stored
 * at once, so a crash mid-turn keeps the steps before it; the turn ends `complete`, `aborted` (client
 * gone), or `error` (model failure) and the user's message is kept in every case.
 */
export async function startChatTurn(
  dependencies: ChatDependencies,
  request: {
    user: User;
    /** A new user message, or the answers to a paused turn's approvals (which continue it). */
    message?: string;
    approvals?: ApprovalAnswer[];
    conversationId?: string;
    abortSignal: AbortSignal;
    stream: boolean;
  },
): Promise<StartedTurn> {
  const { conversationsRepository, clock, logger, settings } = dependencies;
  const { user } = request;

  const existing = request.conversationId
    ? conversationsRepository.findConversation(user.id, request.conversationId)
    : undefined;
  if (request.conversationId && !existing) throw errors.notFound('No conversation with this id.');

  const wps = dependencies.tokenManager.status(user.id);
  if (wps.status !== 'connected') {
    throw await authorizationRequiredAnswer({
      authorizationFlow: dependencies.authorizationFlow,
      userId: user.id,
      error: new WpsAuthorizationRequiredError(wps.status),
    });
  }
  let catalog: Awaited<ReturnType<ToolCatalog['list']>>;
  try {
    catalog = await dependencies.catalog.list(user.id);
  } catch (error) {
    const authorization = findAuthorizationRequired(error);
    if (authorization)
      throw await authorizationRequiredAnswer({
        authorizationFlow: dependencies.authorizationFlow,
        userId: user.id,
        error: authorization,
      });
    throw isAppError(error)
      ? error
      : errors.upstreamUnavailable('WPS could not be reached to list its tools; try again shortly.', error);
  }

  const now = clock.now();
  const conversationId = existing?.id ?? createId('conv');
  const continuation = resolveContinuation(dependencies.safeEdits, { user, conversationId, request });
  if (continuation.kind === 'waiting')
    return waitingTurn(conversationId, continuation, (error) =>
      describeModelError(error, dependencies.secrets),
    );
  const history = existing
    ? historyWithinBudget(
        conversationsRepository
          .listMessages(conversationId)
          .filter((message) => message.id !== continuation.messageId),
        settings.contextBudgetChars,
      )
    : [];
  const messageId = continuation.messageId ?? createId('msg');
  if (continuation.kind === 'new-message')
    conversationsRepository.beginTurn({
      newConversation: existing
        ? undefined
        : {
            id: conversationId,
            userId: user.id,
            title: titleFrom(continuation.message),
            createdAt: now,
            updatedAt: now,
          },
      conversationId,
      messages: [
        {
          id: createId('msg'),
          role: 'user',
          text: continuation.message,
          status: 'complete',
          modelMessages: null,
          error: null,
          createdAt: now,
        },
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

  const toolCalls: TurnToolCall[] = [];
  const stepTexts: string[] = continuation.kind === 'continue' ? [continuation.text] : [];
  const heldBack: HeldBackCall[] = [];
  let currentStep = 1;
  let authorizationLost: WpsAuthorizationRequiredError | undefined;
  const { tools, resolveCall } = createWpsToolSet({
    catalog,
    runner: dependencies.runner,
    validator: dependencies.validator,
    outputBudgetChars: settings.toolOutputBudgetChars,
    schemaCache: dependencies.schemaCache,
    context: {
      userId: user.id,
      conversationId,
      messageId,
      currentStep: () => currentStep,
      onToolCall: (call) => toolCalls.push(call),
      onAuthorizationLost: (error) => {
        authorizationLost ??= error;
      },
      approval: dependencies.safeEdits.setting,
      approvedCalls: continuation.kind === 'continue' ? continuation.approvedCalls : undefined,
    },
  });

  const text = () => stepTexts.filter(Boolean).join('\n\n');
  const describeError = (error: unknown) => describeModelError(error, dependencies.secrets);
  let settle: (outcome: TurnOutcome) => void = () => undefined;
  const outcome = new Promise<TurnOutcome>((resolve) => {
    settle = resolve;
  });
  let finalModelMessages: unknown[] | undefined;
  const finish = async (status: 'complete' | 'aborted' | 'error', error?: AppError) => {
    const modelMessages = finalModelMessages ? { modelMessages: finalModelMessages } : {};
    if (status === 'complete' && heldBack.length > 0 && !authorizationLost) {
      const approvals = await pauseForApprovals(dependencies.safeEdits, {
        userId: user.id,
        conversationId,
        messageId,
        text: text(),
        heldBack,
        resolveCall,
      });
      settle({ status: 'awaiting-approval', approvals });
      return;
    }
    if (status === 'complete' && authorizationLost) {
      const authorizeUrl = await dependencies.authorizationFlow.authorizeUrlFor(user.id).catch(() => '');
      const notice = `WPS authorization was lost while I was working, so I stopped. Reconnect WPS to continue: ${authorizeUrl}`;
      stepTexts.push(notice);
      conversationsRepository.endTurn({
        conversationId,
        messageId,
        changes: { text: text(), status: 'complete', ...modelMessages },
        now: clock.now(),
      });
      settle({ status: 'authorization-lost', authorizeUrl, notice });
      return;
    }
    conversationsRepository.endTurn({
      conversationId,
      messageId,
      changes: {
        text: text(),
        status,
        error: error ? `${error.code}: ${error.message}` : null,
        ...modelMessages,
      },
      now: clock.now(),
    });
    settle(
      status === 'error' && error
        ? { status, error }
        : { status: status === 'aborted' ? 'aborted' : 'complete' },
    );
  };

  const messages: ModelMessage[] =
    continuation.kind === 'continue'
      ? [...history, ...continuation.modelMessages]
      : [...history, { role: 'user', content: continuation.message }];
  // A continued turn's stored model messages keep what came before the pause.
  const storedPrefix = continuation.kind === 'continue' ? continuation.modelMessages : [];
  const turnSignal = AbortSignal.any([request.abortSignal, AbortSignal.timeout(settings.turnTimeoutMs)]);
  const failed = (error: unknown) => {
    // Not the error object: the provider's errors carry the whole prompt (the user's documents).
    logger.warn({ userId: user.id, conversationId, reason: describeError(error) }, 'model request failed');
    return finish('error', errors.modelError(describeError(error), error));
  };
  const modelCall = {
    model: dependencies.model,
    system: systemPrompt({ now: new Date(clock.now()), userName: user.name }),
    messages,
    tools,
    // A model that keeps calling tools forever is a bug, not a feature: bound the loop.
    stopWhen: [stepCountIs(settings.maxSteps), () => authorizationLost !== undefined],
    maxRetries: settings.maxRetries ?? 2,
    providerOptions: dependencies.providerOptions,
    abortSignal: turnSignal,
    prepareStep: ({ stepNumber }: { stepNumber: number }) => {
      currentStep = stepNumber + 1;
      return undefined;
    },
    onStepFinish: (step: {
      text: string;
      toolCalls: unknown[];
      content: ReadonlyArray<{ type: string }>;
      response: { messages: unknown[] };
    }) => {
      stepTexts.push(step.text);
      heldBack.push(...heldBackCalls(step.content, currentStep));
      // `response.messages` is cumulative over the turn's steps: store it whole after every step. A
      // step without tool calls is the model's answer and the last step: endTurn stores it in the same
      // transaction that closes the turn, one write fewer per turn.
      if (step.toolCalls.length === 0) {
        finalModelMessages = [...storedPrefix, ...step.response.messages];
        return;
      }
      conversationsRepository.updateMessage(messageId, {
        text: text(),
        modelMessages: [...storedPrefix, ...step.response.messages],
      });
    },
  };

  // Aborted by the client (it is gone: nothing to answer) or by the turn's time limit (answer it).
  const aborted = () =>
    request.abortSignal.aborted
      ? finish('aborted')
      : failed(new Error(`the turn did not finish within ${settings.turnTimeoutMs / 1000} s`));

  // A streaming client gets the model's stream. A JSON client gets a plain (non-streaming) completion:
  // the same loop, tools and persistence, at about half the CPU per turn (docs/benchmarks.md).
  if (!request.stream) {
    generateText(modelCall).then(
      () => finish('complete'),
      (error: unknown) => (turnSignal.aborted ? aborted() : failed(error)),
    );
    return { conversationId, messageId, result: undefined, toolCalls, text, outcome, describeError };
  }
  const result = streamText({
    ...modelCall,
    onFinish: () => finish('complete'),
    onAbort: aborted,
    onError: ({ error }) => failed(error),
  });

  return { conversationId, messageId, result, toolCalls, text, outcome, describeError };
}
