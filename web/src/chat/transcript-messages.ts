import type { DynamicToolUIPart, UIMessage } from 'ai';
import type { Transcript, TranscriptToolCall } from '../api/types';

function toolPart(call: TranscriptToolCall): DynamicToolUIPart {
  const toolMetadata = {
    name: call.name,
    ...(call.server ? { server: call.server } : {}),
    ...(typeof call.durationMs === 'number' ? { durationMs: call.durationMs } : {}),
  };
  const isError = call.isError || (call.status !== undefined && call.status !== 'ok');
  // Shaped like the agent's live tool output, so a reopened conversation's cards read the same.
  return {
    type: 'dynamic-tool',
    toolName: call.safeName ?? call.name,
    toolCallId: call.id,
    toolMetadata,
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
    // The stored status rides along as metadata, so a reopened stopped turn still says "Stopped".
    messages.push({ id: message.id, role: message.role, parts, metadata: { status: message.status } });
  }
  return messages;
}
