import type { LanguageModelV3 } from '@ai-sdk/provider';
import {
  generateText,
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
import type { AgentMetrics } from '../metrics/agent-metrics.js';
import type { Clock } from '../shared/clock.js';
import { type AppError, errors, isAppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ConversationsRepository } from '../transcripts/conversations.repository.js';
import { addStepUsage, noUsage, type StepUsage, type TurnUsage } from '../usage/turn-usage.js';
import type { User } from '../users/users.repository.js';
import type { AuthorizationFlow } from '../wps-auth/authorization-flow.js';
import { authorizationRequiredAnswer } from '../wps-auth/authorization-required.js';
import type { TokenManager } from '../wps-auth/token-manager.js';
import { findAuthorizationRequired, WpsAuthorizationRequiredError } from '../wps-auth/wps-auth.errors.js';
import { flattenTurns } from './conversation-history.js';
import type { HistoryCache } from './history-cache.js';
import { type HistoryPrompts, withHistory } from './history-prompt.js';
import { seededAnswer } from './history-seeds.js';
import type { ProviderOptions } from './language-model.js';
import {
  describeModelError,
  modelIsConfigured,
  NO_MODEL_CONFIGURED,
  unreadableAnswer,
} from './model-errors.js';
import { systemPrompt } from './system-prompt.js';
import {
  type HeldBackCall,
  heldBackCalls,
  pauseForApprovals,
  type SafeEditDependencies,
} from './turn-continuation.js';
import { createTurnDeadline } from './turn-deadline.js';
import type { TurnDrain } from './turn-drain.js';
import { createTurnEnding } from './turn-ending.js';
import { storeTurnStart } from './turn-start.js';
import type { TurnToolCall, TurnToolContext, WpsToolSets } from './wps-tools.js';

export type TurnOutcome =
  | { status: 'complete' }
  | { status: 'awaiting-approval'; approvals: ApprovalView[] }
  | { status: 'aborted' }
  /** `authorizeUrl` is missing only when none could be made; the notice then says how to reconnect. */
  | { status: 'authorization-lost'; authorizeUrl: string | undefined; notice: string }
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
  model: LanguageModelV3;
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
    contextBudgetChars: number;
    maxRetries?: number;
  };
  /** Redacted from any model error text shown to users. */
  secrets: string[];
  /** The AI SDK tools of each tool list, built once per list (see createWpsToolSets). */
  toolSets: WpsToolSets;
  /** The history converted to the provider's prompt form once per turn, not per step (history-prompt.ts). */
  historyPrompts?: HistoryPrompts;
  /** Finished messages of recent histories, read and checked once per process (see history-cache.ts). */
  historyCache?: HistoryCache;
  /** Passed to every model call (see modelProviderOptions). */
  providerOptions?: ProviderOptions;
  /** The configured model endpoint: with no key for OpenAI's own, chats fail at once (NO_MODEL_CONFIGURED). */
  modelEndpoint: { apiKey: string | undefined; baseUrl: string };
  /** Approvals of write calls (TOOL_APPROVAL); see turn-continuation.ts. */
  safeEdits: SafeEditDependencies;
  /** Turn outcomes, durations and model usage (see src/metrics); none when left out. */
  metrics?: AgentMetrics;
  /** This process's running turns, which a shutdown lets finish (see turn-drain.ts). */
  turnDrain?: TurnDrain;
}

/**
 * Starts one chat turn: checks WPS first (no model call without it), stores the user's message, replays
 * the conversation's history, and runs the model with the user's WPS tools. Every finished step is stored
 * at once, so a crash mid-turn keeps the steps before it; the turn ends `complete`, `aborted` (client
 * gone), or `error` (model failure) and the user's message is kept in every case. With `retry`, the
 * conversation's last (failed or stopped) user message runs again without being stored again.
 */
export async function startChatTurn(
  dependencies: ChatDependencies,
  request: {
    user: User;
    /** Required unless `retry` or `approvals` (the answers to a paused turn, which continue it). */
    message?: string;
    approvals?: ApprovalAnswer[];
    conversationId?: string;
    retry?: boolean;
    abortSignal: AbortSignal;
    stream: boolean;
  },
): Promise<StartedTurn> {
  const { conversationsRepository, clock, logger, settings } = dependencies;
  const { user } = request;

  const existing = request.conversationId
    ? await conversationsRepository.findConversation(user.id, request.conversationId)
    : undefined;
  if (request.conversationId && !existing) throw errors.notFound('No conversation with this id.');

  const wps = await dependencies.tokenManager.connectionState(user.id);
  if (wps !== 'connected') {
    throw await authorizationRequiredAnswer({
      authorizationFlow: dependencies.authorizationFlow,
      userId: user.id,
      error: new WpsAuthorizationRequiredError(wps),
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

  // Before anything is stored: without a model no turn can succeed, and retries would only hide why.
  if (!modelIsConfigured(dependencies.modelEndpoint)) throw errors.modelError(NO_MODEL_CONFIGURED);

  // A turn admitted is one a shutdown waits for, from before its start is stored until its end is.
  const admission = dependencies.turnDrain?.admit();
  let started: Awaited<ReturnType<typeof storeTurnStart>>;
  try {
    started = await storeTurnStart(dependencies, { user, existing, request });
  } catch (error) {
    admission?.abandon();
    throw error;
  }
  if (started.kind === 'waiting') {
    admission?.abandon();
    return started.turn;
  }
  const { conversationId, continuation, messageId, history, userText } = started;
  // The history in the provider's prompt form, converted once (history-prompt.ts); else the SDK converts it
  // with every step's messages.
  const historyPrompt = await dependencies.historyPrompts?.convert(history);
  const model = historyPrompt ? withHistory(dependencies.model, historyPrompt) : dependencies.model;
  const replayedMessages = historyPrompt ? [] : flattenTurns(history);

  const toolCalls: TurnToolCall[] = [];
  const stepTexts: string[] = continuation.kind === 'continue' ? [continuation.text] : [];
  const heldBack: HeldBackCall[] = [];
  let currentStep = 1;
  let usage: TurnUsage = noUsage();
  let authorizationLost: WpsAuthorizationRequiredError | undefined;
  const { tools, resolveCall } = dependencies.toolSets.forCatalog(catalog);
  // What the shared tools need of this turn; the SDK hands it to every tool call as experimental_context.
  const toolContext: TurnToolContext = {
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
  };

  const text = () => stepTexts.filter(Boolean).join('\n\n');
  const describeError = (error: unknown) => describeModelError(error, dependencies.secrets);
  let finalModelMessages: unknown[] | undefined;
  // The turn's own messages go through the SDK's prompt check; the history joins them in the model's
  // prompt (history-prompt.ts; else in prepareStep). It passed the same check when it was read back
  // (conversation-history.ts), and re-checking every earlier message on every turn made a turn's cost grow
  // with the conversation (docs/benchmarks.md, turn depth).
  const messages: ModelMessage[] =
    continuation.kind === 'continue' ? continuation.modelMessages : [{ role: 'user', content: userText }];
  // A continued turn's model messages keep what came before the pause (the approval answers included).
  const storedPrefix = continuation.kind === 'continue' ? continuation.modelMessages : [];
  // How many of the turn's model messages the message row holds: each write appends only the rest.
  let storedCount = continuation.kind === 'continue' ? continuation.storedModelMessages : 0;
  // A new turn's model messages as its row holds them once every step is stored (see seededAnswer).
  let turnModelMessages: unknown[] = [];
  const deadline = createTurnDeadline({
    clientSignal: request.abortSignal,
    timeoutMs: settings.turnTimeoutMs,
  });
  const ending = createTurnEnding({
    conversationsRepository,
    authorizationFlow: dependencies.authorizationFlow,
    clock,
    logger,
    userId: user.id,
    conversationId,
    messageId,
    clientSignal: request.abortSignal,
    deadline,
    text,
    appendText: (notice) => stepTexts.push(notice),
    authorizationLost: () => authorizationLost,
    finalModelMessages: () => finalModelMessages,
    describeError,
    usage: () => usage,
    metrics: dependencies.metrics,
    pauseForApprovals: async () =>
      heldBack.length === 0
        ? undefined
        : pauseForApprovals(dependencies.safeEdits, {
            userId: user.id,
            conversationId,
            messageId,
            text: text(),
            usage,
            heldBack,
            resolveCall,
          }),
  });
  const { outcome } = ending;
  admission?.track(outcome);
  const { historyCache } = dependencies;
  // As its user message is (turn-start.ts): in a conversation that already had a turn.
  if (historyCache && continuation.kind === 'new-turn' && existing)
    void outcome.then((ended) => {
      if (ended.status === 'complete')
        historyCache.seed(seededAnswer({ id: messageId, text: text(), modelMessages: turnModelMessages }));
    });
  const failed = (cause: unknown) => ending.end({ status: 'model-failed', cause });
  // A run that "finished" with an unreadable last step (an HTML page, `{}`, a cut stream) failed.
  const finished = (lastStep: Parameters<typeof unreadableAnswer>[0] | undefined) => {
    const unreadable = lastStep ? unreadableAnswer(lastStep) : undefined;
    return unreadable ? failed(unreadable) : ending.end({ status: 'complete' });
  };

  const modelCall = {
    model,
    system: systemPrompt({ now: new Date(clock.now()), userName: user.name }),
    messages,
    tools,
    experimental_context: toolContext,
    // A model that keeps calling tools forever is a bug, not a feature: bound the loop.
    stopWhen: [
      stepCountIs(settings.maxSteps),
      () => authorizationLost !== undefined,
      () => ending.stopRequested(),
    ],
    maxRetries: settings.maxRetries ?? 2,
    providerOptions: dependencies.providerOptions,
    abortSignal: deadline.signal,
    prepareStep: ({
      stepNumber,
      messages: stepMessages,
    }: {
      stepNumber: number;
      messages: ModelMessage[];
    }) => {
      currentStep = stepNumber + 1;
      return replayedMessages.length > 0 ? { messages: [...replayedMessages, ...stepMessages] } : undefined;
    },
    onStepFinish: async (step: {
      text: string;
      toolCalls: unknown[];
      content: ReadonlyArray<{ type: string }>;
      response: { messages: unknown[] };
      usage: StepUsage;
    }) => {
      // The SDK awaits this before the next step: each step is stored before the turn goes on.
      stepTexts.push(step.text);
      usage = addStepUsage(usage, step.usage);
      heldBack.push(...heldBackCalls(step.content, currentStep));
      // `response.messages` is cumulative over the turn's steps: only what the row does not hold yet is
      // written, so a step costs what it adds. A step without tool calls is the model's answer and the
      // last step: endTurn appends it in the same transaction that closes the turn, one write fewer.
      const turnMessages = [...storedPrefix, ...step.response.messages];
      turnModelMessages = turnMessages;
      const unstored = turnMessages.slice(storedCount);
      if (step.toolCalls.length === 0) {
        finalModelMessages = unstored;
        return;
      }
      try {
        await conversationsRepository.appendStep(messageId, { text: text(), modelMessages: unstored });
        storedCount = turnMessages.length;
      } catch (error: unknown) {
        ending.failedToStore(error);
      }
    },
  };

  // A streaming client gets the model's stream. A JSON client gets a plain (non-streaming) completion:
  // the same loop, tools and persistence, at about half the CPU per turn (docs/benchmarks.md).
  if (!request.stream) {
    generateText(modelCall).then(
      (result) => finished(result.steps.at(-1)),
      // An abort rejects too: the ending stores it as aborted (client) or a model failure (time limit).
      (error: unknown) => failed(error),
    );
    return { conversationId, messageId, result: undefined, toolCalls, text, outcome, describeError };
  }
  const result = streamText({
    ...modelCall,
    onFinish: ({ steps }) => finished(steps.at(-1)),
    // Aborted by the client (gone: nothing to answer) or by the time limit: the ending tells which.
    onAbort: () => ending.end({ status: 'aborted' }),
    onError: ({ error }) => failed(error),
  });

  return { conversationId, messageId, result, toolCalls, text, outcome, describeError };
}
