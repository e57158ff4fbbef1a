import type { IncomingHttpHeaders } from 'node:http';
import type { ChatMessage, ChatTool, RecordedRequest, ResponsesInputItem } from './types.js';

/** Function names offered in `body.tools`, in order, from a Chat Completions or a Responses request. */
export function toolNamesOf(request: RecordedRequest): string[] {
  return functionsOf(request).map((definition) => definition.name);
}

/**
 * The first tool definition whose function part matches, e.g. `(tool) => tool.name.endsWith('_read')`.
 * Returned in Chat Completions shape whichever API the request used, so dynamic steps work with both.
 */
export function findTool(
  request: RecordedRequest,
  predicate: (tool: ChatTool['function']) => boolean,
): ChatTool | undefined {
  const found = functionsOf(request).find(predicate);
  return found === undefined ? undefined : { type: 'function', function: found };
}

export interface ToolResultMessage {
  tool_call_id: string;
  content: string;
}

/**
 * The results of the tool calls the model made in its previous step, empty when it has not called a tool
 * yet: the `role: 'tool'` messages after the last assistant message (Chat Completions), or the
 * `function_call_output` items after the model's last output item (Responses).
 */
export function lastToolResults(request: RecordedRequest): ToolResultMessage[] {
  const { input } = request.body;
  if (Array.isArray(input)) return lastFunctionCallOutputs(input);
  const messages = request.body.messages ?? [];
  const lastAssistantIndex = messages.findLastIndex((message) => message.role === 'assistant');
  if (lastAssistantIndex === -1) return [];
  return messages
    .slice(lastAssistantIndex + 1)
    .filter((message) => message.role === 'tool')
    .map((message) => ({ tool_call_id: message.tool_call_id ?? '', content: textOf(message.content) }));
}

function lastFunctionCallOutputs(input: ResponsesInputItem[]): ToolResultMessage[] {
  const lastModelIndex = input.findLastIndex(isModelOutput);
  if (lastModelIndex === -1) return [];
  return input
    .slice(lastModelIndex + 1)
    .filter((item) => item.type === 'function_call_output')
    .map((item) => ({ tool_call_id: item.call_id ?? '', content: textOf(item.output) }));
}

// With `store` on (the AI SDK's default) earlier text comes back as an `item_reference`, not a message.
function isModelOutput(item: ResponsesInputItem): boolean {
  return item.role === 'assistant' || item.type === 'function_call' || item.type === 'item_reference';
}

function functionsOf(request: RecordedRequest): Array<ChatTool['function']> {
  return (request.body.tools ?? []).map((tool) => {
    if ('function' in tool) return tool.function;
    const { type: _type, ...definition } = tool;
    return definition;
  });
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
function textOf(content: ChatMessage['content'] | ResponsesInputItem['output']): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? '').join('');
  return '';
}
