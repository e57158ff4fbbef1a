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

/** A stored conversation as useChat messages, so that opening it continues it in the chat. */
export function transcriptToMessages(transcript: Transcript): UIMessage[] {
  const messages: UIMessage[] = [];
  for (const message of transcript.messages) {
    if (message.role !== 'user' && message.role !== 'assistant') continue;
    const parts: UIMessage['parts'] = [];
    for (const call of message.toolCalls ?? []) parts.push(toolPart(call));
    if (message.text) parts.push({ type: 'text', text: message.text, state: 'done' });
    messages.push({ id: message.id, role: message.role, parts });
  }
  return messages;
}
