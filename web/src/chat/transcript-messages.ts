import type { DynamicToolUIPart, UIMessage } from 'ai';

type JSONObject = NonNullable<DynamicToolUIPart['toolMetadata']>;

import type { PendingApproval, Transcript, TranscriptToolCall } from '../api/types';

function toolPart(call: TranscriptToolCall): DynamicToolUIPart {
  const toolMetadata = {
    name: call.name,
    toolCallId: call.id,
    ...(call.server ? { server: call.server } : {}),
    ...(typeof call.durationMs === 'number' ? { durationMs: call.durationMs } : {}),
    ...(call.revertible ? { revertible: true } : {}),
    ...(call.change ? { change: call.change as unknown as JSONObject } : {}),
  };
  const base = {
    type: 'dynamic-tool',
    toolName: call.safeName ?? call.name,
    toolCallId: call.id,
    toolMetadata,
  } as const;
  // A call still waiting is the SDK's approval-requested part, so answering works after a reload.
  if (call.status === 'awaiting_approval' && call.approval?.decision === 'pending')
    return {
      ...base,
      state: 'approval-requested',
      input: call.arguments,
      approval: { id: call.approval.id },
    };
  if (call.status === 'denied' && call.approval)
    return {
      ...base,
      state: 'output-denied',
      input: call.arguments,
      approval: {
        id: call.approval.id,
        approved: false,
        ...(call.approval.reason ? { reason: call.approval.reason } : {}),
      },
    };
  const isError = call.isError || (call.status !== undefined && call.status !== 'ok');
  // Shaped like the agent's live tool output, so a reopened conversation's cards read the same.
  return {
    ...base,
    state: 'output-available',
    input: call.arguments,
    output: {
      toolCallId: call.id,
      isError,
      result: call.result,
      ...(call.status ? { status: call.status } : {}),
    },
  };
}

/** The previews of a message's pending approvals, as the live stream's `data-approvals` part has them. */
function pendingApprovals(calls: TranscriptToolCall[]): PendingApproval[] {
  return calls.flatMap((call) =>
    call.approval?.decision === 'pending'
      ? [
          {
            id: call.approval.id,
            toolCallId: call.id,
            name: call.name,
            server: call.server ?? '',
            arguments: call.arguments,
            expiresAt: call.approval.expiresAt,
            preview: call.approval.preview,
          },
        ]
      : [],
  );
}

/** True for a message whose turn was stopped, as `transcriptToMessages` records it. */
export function wasStopped(message: UIMessage): boolean {
  return (message.metadata as { status?: string } | undefined)?.status === 'aborted';
}

/** A stored conversation as useChat messages, so that opening it continues it in the chat. */
export function transcriptToMessages(transcript: Transcript): UIMessage[] {
  const messages: UIMessage[] = [];
  for (const message of transcript.messages) {
    if (message.role !== 'user' && message.role !== 'assistant') continue;
    const parts: UIMessage['parts'] = [];
    for (const call of message.toolCalls ?? []) parts.push(toolPart(call));
    if (message.text) parts.push({ type: 'text', text: message.text, state: 'done' });
    const pending = pendingApprovals(message.toolCalls ?? []);
    if (pending.length > 0) parts.push({ type: 'data-approvals', data: pending });
    // The stored status rides along as metadata, so a reopened stopped turn still says "Stopped".
    messages.push({ id: message.id, role: message.role, parts, metadata: { status: message.status } });
  }
  return messages;
}
