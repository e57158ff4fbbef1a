import type { ChatRequestBody, ScriptedToolCall, ScriptedUsage } from './types.js';

/**
 * What one answer says, independent of streaming and of the API asked (Chat Completions or Responses):
 * built once, then written in the shape the request needs.
 */
export interface Completion {
  id: string;
  created: number;
  model: string;
  text: string | undefined;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export function buildCompletion(options: {
  id: string;
  createdMs: number;
  body: ChatRequestBody;
  text: string | undefined;
  toolCalls: Array<ScriptedToolCall & { id: string }>;
  usage?: ScriptedUsage;
}): Completion {
  const toolCalls = options.toolCalls.map((call) => ({
    id: call.id,
    name: call.name,
    arguments: serializeArguments(call.arguments),
  }));
  const completionChars =
    (options.text ?? '').length +
    toolCalls.reduce((sum, call) => sum + call.name.length + call.arguments.length, 0);
  // `messages` for Chat Completions, `input` for the Responses API.
  const prompt = options.body.messages ?? options.body.input ?? [];
  const promptTokens = options.usage?.inputTokens ?? estimateTokens(JSON.stringify(prompt).length);
  const completionTokens = options.usage?.outputTokens ?? estimateTokens(completionChars);
  return {
    id: options.id,
    created: Math.floor(options.createdMs / 1000),
    model: options.body.model ?? 'scripted-model',
    text: options.text,
    toolCalls,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

/** The `chat.completion` object of a non-streamed answer. */
export function toResponseJson(completion: Completion): object {
  const hasToolCalls = completion.toolCalls.length > 0;
  return {
    id: completion.id,
    object: 'chat.completion',
    created: completion.created,
    model: completion.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          // OpenAI sends null, not '', when the turn only calls tools.
          content: completion.text ?? (hasToolCalls ? null : ''),
          ...(hasToolCalls && {
            tool_calls: completion.toolCalls.map((call) => ({
              id: call.id,
              type: 'function',
              function: { name: call.name, arguments: call.arguments },
            })),
          }),
        },
        finish_reason: finishReasonOf(completion),
      },
    ],
    usage: completion.usage,
  };
}

/**
 * The `chat.completion.chunk` objects of a streamed answer, shaped as OpenAI sends them: a role chunk,
 * text in small pieces, each tool call opened with its id and name and then its arguments in several
 * pieces (so clients must reassemble them), a finish chunk and, if asked for, a usage chunk.
 */
export function toStreamChunks(completion: Completion, options: { includeUsage: boolean }): object[] {
  const chunk = (choices: object[], extra: object = {}) => ({
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
    choices,
    ...extra,
  });
  const delta = (value: object) => chunk([{ index: 0, delta: value, finish_reason: null }]);

  const chunks: object[] = [delta({ role: 'assistant', content: completion.text === undefined ? null : '' })];
  for (const piece of splitIntoPieces(completion.text ?? '')) chunks.push(delta({ content: piece }));
  completion.toolCalls.forEach((call, index) => {
    chunks.push(
      delta({
        tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
      }),
    );
    for (const piece of splitIntoPieces(call.arguments)) {
      chunks.push(delta({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  chunks.push(chunk([{ index: 0, delta: {}, finish_reason: finishReasonOf(completion) }]));
  if (options.includeUsage) chunks.push(chunk([], { usage: completion.usage }));
  return chunks;
}

/** The error body OpenAI sends; the AI SDK takes its `error.message` as the error's message. */
export function errorJson(options: { message: string; type: string; code: string | number }): object {
  return { error: { message: options.message, type: options.type, param: null, code: options.code } };
}

function finishReasonOf(completion: Completion): 'stop' | 'tool_calls' {
  return completion.toolCalls.length > 0 ? 'tool_calls' : 'stop';
}

function serializeArguments(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value ?? {});
}

// Roughly what real tokenizers give for English and JSON; only orders of magnitude matter here.
function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/**
 * At least three pieces for anything three characters or longer, at most eight characters each, split on
 * code points so a surrogate pair is never cut.
 */
export function splitIntoPieces(value: string): string[] {
  const codePoints = Array.from(value);
  const size = Math.max(1, Math.min(8, Math.ceil(codePoints.length / 3)));
  const pieces: string[] = [];
  for (let start = 0; start < codePoints.length; start += size) {
    pieces.push(codePoints.slice(start, start + size).join(''));
  }
  return pieces;
}
