import type { ModelMessage } from 'ai';
import type { EditPreview, PreviewBasis, Previews } from '../edits/previews.js';
import type { CatalogTool } from '../mcp/tool-catalog.js';
import type { Clock } from '../shared/clock.js';
import { AppError, errors } from '../shared/errors.js';
import { createId } from '../shared/ids.js';
import { openUnlessKeyRetired, type SecretBox } from '../shared/secret-box.js';
import type { ConversationsRepository, MessageRow } from '../transcripts/conversations.repository.js';
import type { ApprovalRow, ApprovalsRepository } from './approvals.repository.js';
import { isReadOnlyTool } from './tool-classification.js';

/** Shown instead of a preview sealed with a token encryption key that has since been retired. */
const RETIRED_KEY_PREVIEW =
  'The preview can no longer be shown: it was encrypted with a token encryption key that has since been retired.';

/** An approval as the API shows it (`approvals` of a chat answer). */
export interface ApprovalView {
  id: string;
  toolCallId: string;
  name: string;
  server: string;
  arguments: Record<string, unknown>;
  expiresAt: string;
  preview: EditPreview;
}

/** A write call the model made that the SDK held back for approval, as the turn resolved it. */
export interface RequestedApproval {
  approvalId: string;
  modelToolCallId: string;
  safeName: string;
  tool: CatalogTool;
  arguments: Record<string, unknown>;
  step: number;
}

export interface ApprovalAnswer {
  id: string;
  approved: boolean;
  reason?: string;
}

/** What answering leaves: still waiting on other approvals, or a paused turn ready to continue. */
export type AnswerOutcome =
  | { status: 'waiting'; messageId: string; pending: ApprovalView[] }
  | {
      status: 'continue';
      message: MessageRow;
      /** The model messages to continue from: the paused turn's, then the SDK's approval responses. */
      modelMessages: ModelMessage[];
      /** Approved calls by the model's tool call id: they run on their own transcript rows. */
      approved: Map<string, ApprovalRow>;
    };

const SUPERSEDED = 'The user sent a new message instead of answering this approval.';
const EXPIRED = 'The approval expired before the user answered.';

/**
 * Approvals of write calls, kept in the database: a paused turn is its assistant message (status
 * `awaiting_approval`, model messages holding the SDK's tool-approval-request parts) plus these rows, so
 * whichever instance receives the answer continues the same message.
 */
export function createApprovals(options: {
  approvalsRepository: ApprovalsRepository;
  conversationsRepository: ConversationsRepository;
  previews: Previews;
  secretBox: SecretBox;
  clock: Clock;
  ttlMs: number;
}) {
  const { approvalsRepository: repository, conversationsRepository, clock, secretBox } = options;

  // Decided approvals stay in transcripts for good, so a preview may outlive the key that sealed it.
  const previewOf = (sealed: string): EditPreview => {
    const opened = openUnlessKeyRetired(secretBox, sealed);
    return opened === undefined ? { summary: RETIRED_KEY_PREVIEW } : (JSON.parse(opened) as EditPreview);
  };
  const view = (row: ApprovalRow): ApprovalView => ({
    id: row.id,
    toolCallId: row.toolCallId,
    name: row.name,
    server: row.server,
    arguments: row.arguments,
    expiresAt: new Date(row.expiresAt).toISOString(),
    preview: previewOf(row.preview),
  });

  /** Closes what is still pending as denied (expired, or superseded by a new message). */
  const closePending = async (rows: ApprovalRow[], reason: string) => {
    for (const row of rows)
      await repository.decide(row.id, { approved: false, reason, decidedAt: clock.now() });
  };

  /** The execution-denied results a turn that will never continue owes the model, so history replays. */
  const deniedResults = (rows: ApprovalRow[]): ModelMessage => ({
    role: 'tool',
    content: rows.map((row) => ({
      type: 'tool-result' as const,
      toolCallId: row.modelToolCallId,
      toolName: row.safeName,
      output: {
        type: 'execution-denied' as const,
        reason: row.status === 'denied' && row.reason ? row.reason : SUPERSEDED,
      },
    })),
  });

  return {
    view,

    /** Stores one approval per held-back call, each with a preview of what it would change. */
    async request(context: {
      userId: string;
      conversationId: string;
      messageId: string;
      requests: RequestedApproval[];
    }): Promise<ApprovalView[]> {
      const now = clock.now();
      const rows = [];
      for (const request of context.requests) {
        let shown: { preview: EditPreview; basis: PreviewBasis };
        try {
          shown = await options.previews.preview(context.userId, request.tool, request.arguments);
        } catch (error) {
          // The user still decides; they are told the preview is missing and why.
          const why = error instanceof Error ? error.message.slice(0, 200) : 'unknown error';
          shown = {
            preview: { summary: `No preview: the current data could not be read (${why}).` },
            basis: null,
          };
        }
        const toolCallId = createId('call');
        rows.push({
          toolCall: {
            id: toolCallId,
            userId: context.userId,
            conversationId: context.conversationId,
            messageId: context.messageId,
            step: request.step,
            safeName: request.safeName,
            name: request.tool.name,
            server: request.tool.server,
            arguments: request.arguments,
            isError: false,
            status: 'awaiting_approval' as const,
            source: 'chat' as const,
            startedAt: now,
            changesData: !isReadOnlyTool(request.tool),
          },
          approval: {
            id: request.approvalId,
            userId: context.userId,
            conversationId: context.conversationId,
            messageId: context.messageId,
            toolCallId,
            modelToolCallId: request.modelToolCallId,
            safeName: request.safeName,
            name: request.tool.name,
            server: request.tool.server,
            arguments: request.arguments,
            preview: secretBox.seal(JSON.stringify(shown.preview)),
            previewBasis: shown.basis,
            status: 'pending' as const,
            reason: null,
            decidedAt: null,
            expiresAt: now + options.ttlMs,
            createdAt: now,
          },
        });
      }
      await repository.insertPending(rows);
      return rows.map((row) => view(row.approval));
    },

    /**
     * Records the owner's answers. Each approval is answered once (a second answer, here or on another
     * instance, is `approval_decided`), and not after it expired. When none of the paused turn's
     * approvals is left pending, the turn is claimed (one instance wins) and handed back to continue.
     */
    async answer(request: {
      userId: string;
      conversationId: string;
      answers: ApprovalAnswer[];
    }): Promise<AnswerOutcome> {
      const now = clock.now();
      const rows: ApprovalRow[] = [];
      for (const answer of request.answers) {
        const row = await repository.findForUser(request.userId, answer.id);
        if (!row || row.conversationId !== request.conversationId)
          throw errors.notFound(`No approval with id ${answer.id} in this conversation.`);
        if (row.status !== 'pending') throw errors.approvalDecided();
        if (row.expiresAt <= now) {
          await closePending([row], EXPIRED);
          throw errors.approvalExpired();
        }
        rows.push(row);
      }
      const messageIds = new Set(rows.map((row) => row.messageId));
      const [messageId] = messageIds;
      if (!messageId || messageIds.size > 1)
        throw errors.validationFailed('Answer the approvals of one paused turn at a time.');
      for (const [index, answer] of request.answers.entries()) {
        const row = rows[index] as ApprovalRow;
        const decided = await repository.decide(row.id, {
          approved: answer.approved,
          reason: answer.reason ?? null,
          decidedAt: now,
        });
        if (!decided) throw errors.approvalDecided();
      }
      const all = await repository.listForMessage(messageId);
      const stillPending = all.filter((row) => row.status === 'pending');
      await closePending(
        stillPending.filter((row) => row.expiresAt <= now),
        EXPIRED,
      );
      const pending = stillPending.filter((row) => row.expiresAt > now);
      if (pending.length > 0) return { status: 'waiting', messageId, pending: pending.map(view) };

      const message = await conversationsRepository.claimPausedTurn(messageId);
      if (!message)
        throw new AppError({
          code: 'conversation_busy',
          status: 409,
          message: 'This turn is already being continued.',
        });
      const decided = await repository.listForMessage(messageId);
      const responses: ModelMessage = {
        role: 'tool',
        content: decided.map((row) => ({
          type: 'tool-approval-response' as const,
          approvalId: row.id,
          approved: row.status === 'approved',
          ...(row.reason ? { reason: row.reason } : {}),
        })),
      };
      return {
        status: 'continue',
        message,
        modelMessages: [...((message.modelMessages ?? []) as ModelMessage[]), responses],
        approved: new Map(
          decided.filter((row) => row.status === 'approved').map((row) => [row.modelToolCallId, row]),
        ),
      };
    },

    /**
     * A new message while a turn waits: its pending approvals are denied and the turn is closed with
     * execution-denied results, so the conversation's history stays valid for the model.
     */
    async supersedePausedTurns(conversationId: string): Promise<void> {
      const pending = await repository.listPendingForConversation(conversationId);
      if (pending.length === 0) return;
      await closePending(pending, SUPERSEDED);
      for (const messageId of new Set(pending.map((row) => row.messageId))) {
        const message = await conversationsRepository.claimPausedTurn(messageId);
        if (!message) continue;
        const closed = await repository.listForMessage(messageId);
        await repository.closeUnrun(closed.map((row) => row.toolCallId));
        await conversationsRepository.endTurn({
          conversationId,
          messageId,
          changes: { status: 'complete' },
          appendModelMessages: [deniedResults(closed)],
          now: clock.now(),
        });
      }
    },
  };
}

export type Approvals = ReturnType<typeof createApprovals>;
