import { type Completion, splitIntoPieces } from './chat-completion-wire.js';

/**
 * The same answer in the OpenAI Responses API's shapes (`POST /v1/responses`). Field sets follow what the
 * API sends; @ai-sdk/openai 3 validates the `message`, `function_call`, `response.*` shapes and ignores
 * event types it does not model (`response.in_progress`, `response.content_part.*`, ...).
 */

interface OutputItemIds {
  message: string;
  functionCalls: string[];
}

/** Item ids as the API mints them: `msg_…` for the message, `fc_…` for each function call. */
function itemIdsOf(completion: Completion): OutputItemIds {
  const suffix = completion.id.replace(/^resp_/, '');
  return {
    message: `msg_${suffix}`,
    functionCalls: completion.toolCalls.map((_, index) => `fc_${suffix}_${index + 1}`),
  };
}

/** Like Chat Completions' `content: ''`: a turn with neither text nor tool calls still has a message. */
function hasMessage(completion: Completion): boolean {
  return completion.text !== undefined || completion.toolCalls.length === 0;
}

function messageItem(completion: Completion, ids: OutputItemIds, status: 'in_progress' | 'completed') {
  return {
    type: 'message',
    id: ids.message,
    status,
    role: 'assistant',
    content: status === 'completed' ? [outputTextPart(completion.text ?? '')] : [],
  };
}

function outputTextPart(text: string) {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

function functionCallItems(
  completion: Completion,
  ids: OutputItemIds,
  status: 'in_progress' | 'completed',
): object[] {
  return completion.toolCalls.map((call, index) => ({
    type: 'function_call',
    id: ids.functionCalls[index],
    call_id: call.id,
    name: call.name,
    arguments: status === 'completed' ? call.arguments : '',
    status,
  }));
}

function usageOf(completion: Completion) {
  return {
    input_tokens: completion.usage.prompt_tokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: completion.usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: completion.usage.total_tokens,
  };
}

function responseObject(completion: Completion, status: 'in_progress' | 'completed'): object {
  const ids = itemIdsOf(completion);
  const completed = status === 'completed';
  return {
    id: completion.id,
    object: 'response',
    created_at: completion.created,
    status,
    error: null,
    incomplete_details: null,
    model: completion.model,
    output: completed
      ? [
          ...(hasMessage(completion) ? [messageItem(completion, ids, 'completed')] : []),
          ...functionCallItems(completion, ids, 'completed'),
        ]
      : [],
    parallel_tool_calls: true,
    usage: completed ? usageOf(completion) : null,
  };
}

/** The `response` object of a non-streamed answer: the message (if any) first, then the function calls. */
export function toResponsesJson(completion: Completion): object {
  return responseObject(completion, 'completed');
}

/**
 * The events of a streamed answer, in the API's order: created, in progress, the message item with its
 * text in small pieces, each function call item with its arguments in several pieces (so clients must
 * reassemble them), then `response.completed` carrying the whole response and its usage.
 */
export function toResponsesEvents(completion: Completion): Array<{ type: string }> {
  const ids = itemIdsOf(completion);
  const events: Array<{ type: string }> = [];
  const push = (type: string, fields: object) => {
    events.push({ type, sequence_number: events.length, ...fields } as { type: string });
  };

  push('response.created', { response: responseObject(completion, 'in_progress') });
  push('response.in_progress', { response: responseObject(completion, 'in_progress') });
  let outputIndex = 0;
  if (hasMessage(completion)) {
    const text = completion.text ?? '';
    const at = { item_id: ids.message, output_index: outputIndex, content_index: 0 };
    push('response.output_item.added', {
      output_index: outputIndex,
      item: messageItem(completion, ids, 'in_progress'),
    });
    push('response.content_part.added', { ...at, part: outputTextPart('') });
    for (const piece of splitIntoPieces(text)) {
      push('response.output_text.delta', { ...at, delta: piece, logprobs: [] });
    }
    push('response.output_text.done', { ...at, text, logprobs: [] });
    push('response.content_part.done', { ...at, part: outputTextPart(text) });
    push('response.output_item.done', {
      output_index: outputIndex,
      item: messageItem(completion, ids, 'completed'),
    });
    outputIndex += 1;
  }
  const started = functionCallItems(completion, ids, 'in_progress');
  const finished = functionCallItems(completion, ids, 'completed');
  completion.toolCalls.forEach((call, index) => {
    const at = { item_id: ids.functionCalls[index], output_index: outputIndex };
    push('response.output_item.added', { output_index: outputIndex, item: started[index] });
    for (const piece of splitIntoPieces(call.arguments)) {
      push('response.function_call_arguments.delta', { ...at, delta: piece });
    }
    push('response.function_call_arguments.done', { ...at, arguments: call.arguments });
    push('response.output_item.done', { output_index: outputIndex, item: finished[index] });
    outputIndex += 1;
  });
  push('response.completed', { response: responseObject(completion, 'completed') });
  return events;
}
