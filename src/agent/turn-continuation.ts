import type { ModelMessage } from 'ai';
import type {
  ApprovalAnswer,
  Approvals,
  ApprovalView,
  RequestedApproval,
} from '../approvals/approvals.usecases.js';
import type { ToolApprovalSetting } from '../approvals/tool-classification.js';
import type { Previews } from '../edits/previews.js';
import type { CatalogTool } from '../mcp/tool-catalog.js';
import type { ToolRunner } from '../mcp/tool-runner.js';
import type { Clock } from '../shared/clock.js';
import type { ConversationsRepository } from '../transcripts/conversations.repository.js';
import type { ToolCallsRepository } from '../transcripts/tool-calls.repository.js';
import type { TurnUsage } from '../usage/turn-usage.js';
import type { User } from '../users/users.repository.js';
import { type ApprovedCalls, approvedCallsFor } from './approved-call.js';
import type { StartedTurn } from './chat-turn.js';

export interface SafeEditDependencies {
  setting: ToolApprovalSetting;
  approvals: Approvals;
  previews: Previews;
  runner: ToolRunner;
  toolCallsRepository: ToolCallsRepository;
  conversationsRepository: ConversationsRepository;
  clock: Clock;
}

/** A write call the SDK held back in a step (its `tool-approval-request` content part). */
export interface HeldBackCall {
  approvalId: string;
  modelToolCallId: string;
  safeName: string;
  input: unknown;
  step: number;
}

/** How a chat request starts: a new message, an answer that continues a paused turn, or one that waits. */
export type Continuation =
  | { kind: 'new-turn'; messageId?: undefined }
  | {
      kind: 'continue';
      messageId: string;
      text: string;
      modelMessages: ModelMessage[];
      /** How many of `modelMessages` the paused message row already holds (the rest are the answers). */
      storedModelMessages: number;
      approvedCalls: ApprovedCalls;
    }
  | { kind: 'waiting'; messageId: string; pending: ApprovalView[] };

/**
 * Turns a chat request into how its turn starts. Answers are recorded first (see approvals.usecases.ts);
 * a new message (or a retry) closes any turn still waiting for approval, so the history stays valid for
 * the model.
 */
export async function resolveContinuation(
  dependencies: SafeEditDependencies,
  context: {
    user: User;
    conversationId: string;
    /** A conversation this turn creates: nothing in it can be paused, so nothing is looked up. */
    newConversation: boolean;
    request: { approvals?: ApprovalAnswer[] };
  },
): Promise<Continuation> {
  const { request } = context;
  if (!request.approvals) {
    if (!context.newConversation) await dependencies.approvals.supersedePausedTurns(context.conversationId);
    return { kind: 'new-turn' };
  }
  const answered = await dependencies.approvals.answer({
    userId: context.user.id,
    conversationId: context.conversationId,
    answers: request.approvals,
  });
  if (answered.status === 'waiting')
    return { kind: 'waiting', messageId: answered.messageId, pending: answered.pending };
  return {
    kind: 'continue',
    messageId: answered.message.id,
    text: answered.message.text,
    modelMessages: answered.modelMessages,
    storedModelMessages: answered.message.modelMessages?.length ?? 0,
    approvedCalls: approvedCallsFor({
      approved: answered.approved,
      runner: dependencies.runner,
      previews: dependencies.previews,
      toolCallsRepository: dependencies.toolCallsRepository,
    }),
  };
}

/** The `tool-approval-request` parts of a finished step. */
export function heldBackCalls(content: ReadonlyArray<{ type: string }>, step: number): HeldBackCall[] {
  return content.flatMap((part) => {
    if (part.type !== 'tool-approval-request') return [];
    const request = part as unknown as {
      approvalId: string;
      toolCall: { toolCallId: string; toolName: string; input: unknown };
    };
    return [
      {
        approvalId: request.approvalId,
        modelToolCallId: request.toolCall.toolCallId,
        safeName: request.toolCall.toolName,
        input: request.toolCall.input,
        step,
      },
    ];
  });
}

/** Ends a turn paused on held-back calls: approvals with previews stored, message `awaiting_approval`. */
export async function pauseForApprovals(
  dependencies: SafeEditDependencies,
  context: {
    userId: string;
    conversationId: string;
    messageId: string;
    text: string;
    /** The paused run's model usage, stored on the message (its continuation adds its own). */
    usage: TurnUsage;
    heldBack: HeldBackCall[];
    resolveCall: (
      safeName: string,
      input: unknown,
    ) => { tool: CatalogTool; arguments: Record<string, unknown> } | undefined;
  },
): Promise<ApprovalView[]> {
  const requests: RequestedApproval[] = context.heldBack.flatMap((call) => {
    const resolved = context.resolveCall(call.safeName, call.input);
    return resolved
      ? [
          {
            approvalId: call.approvalId,
            modelToolCallId: call.modelToolCallId,
            safeName: call.safeName,
            tool: resolved.tool,
            arguments: resolved.arguments,
            step: call.step,
          },
        ]
      : [];
  });
  const approvals = await dependencies.approvals.request({
    userId: context.userId,
    conversationId: context.conversationId,
    messageId: context.messageId,
    requests,
  });
  await dependencies.conversationsRepository.endTurn({
    conversationId: context.conversationId,
    messageId: context.messageId,
    changes: { text: context.text, status: 'awaiting_approval' },
    usage: context.usage,
    now: dependencies.clock.now(),
  });
  return approvals;
}

/** An answer that leaves other approvals of the turn pending: nothing runs yet. */
export function waitingTurn(
  conversationId: string,
  continuation: Extract<Continuation, { kind: 'waiting' }>,
  describeError: (error: unknown) => string,
): StartedTurn {
  return {
    conversationId,
    messageId: continuation.messageId,
    result: undefined,
    toolCalls: [],
    text: () => '',
    outcome: Promise.resolve({ status: 'awaiting-approval', approvals: continuation.pending }),
    describeError,
  };
}
