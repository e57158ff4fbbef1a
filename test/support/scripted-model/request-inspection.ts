import type { IncomingHttpHeaders } from 'node:http';
import type { ChatMessage, ChatTool, RecordedRequest } from './types.js';

/** Function names offered in `body.tools`, in order. */
export function toolNamesOf(request: RecordedRequest): string[] {
  return (request.body.tools ?? []).map((tool) => tool.function.name);
}

/** The first tool definition whose `function` part matches, e.g. `(tool) => tool.name.endsWith('_read')`. */
export function findTool(
  request: RecordedRequest,
  predicate: (tool: ChatTool['function']) => boolean,
): ChatTool | undefined {
  return (request.body.tools ?? []).find((tool) => predicate(tool.function));
}

export interface ToolResultMessage {
  tool_call_id: string;
  content: string;
}

/**
 * The `role: 'tool'` messages after the last assistant message: the results of the tool calls the
 * model made in its previous step. Empty when the model has not called a tool yet.
 */
export function lastToolResults(request: RecordedRequest): ToolResultMessage[] {
  const messages = request.body.messages ?? [];
  const lastAssistantIndex = messages.findLastIndex((message) => message.role === 'assistant');
  if (lastAssistantIndex === -1) return [];
  return messages
    .slice(lastAssistantIndex + 1)
    .filter((message) => message.role === 'tool')
    .map((message) => ({ tool_call_id: message.tool_call_id ?? '', content: textOf(message) }));
}

/** The bearer token sent, if any: lets a test assert the key without printing headers. */
export function bearerTokenOf(request: RecordedRequest): string | undefined {
  const authorization = request.headers.authorization;
  return authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
}

/** Headers safe to log or snapshot: the credential is replaced, its presence kept. */
export function redactedHeaders(request: RecordedRequest): IncomingHttpHeaders {
  const headers = { ...request.headers };
  if (headers.authorization !== undefined) headers.authorization = 'Bearer ***';
  return headers;
}

// The AI SDK sends a parts array instead of a string when a prompt cache breakpoint is set.
function textOf(message: ChatMessage): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? '').join('');
  return '';
}
