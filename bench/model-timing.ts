import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  createScriptedModel,
  lastToolResults,
  type ScriptedModel,
} from '../test/support/scripted-model/index.js';
import type { ChatRequestBody } from '../test/support/scripted-model/types.js';

/** Every benchmark message carries its turn's tag, so model requests can be charged to their turn. */
export const turnTag = (id: string) => `[bench-turn:${id}]`;
const TAG_PATTERN = /\[bench-turn:([\w-]+)\]/g;

export interface TimedModel {
  model: ScriptedModel;
  /** Model time of a finished turn (and forgets it): requests answered and their total time in the model server. */
  takeTurn(id: string): { requests: number; modelMs: number; requestChars: number };
  /**
   * What the agent's last first step offered the model: its system prompt and tool definitions (Chat
   * Completions shape). The baseline offers the same, so both send the model the same work.
   */
  offered(): OfferedPrompt | undefined;
  close(): Promise<void>;
}

export interface OfferedPrompt {
  system: string;
  tools: Array<{ name: string; description?: string; parameters: unknown }>;
}

/**
 * The scripted model playing the benchmark's turn: step 1 searches for 'Q3', step 2 answers in text.
 *
 * Model time is measured inside the model server's process with Node's HTTP diagnostics channels: from
 * the moment the request's headers are parsed (`http.server.request.start`) to the moment the last byte
 * of the answer is handed to the socket (`http.server.response.finish`). That is the configured latency
 * plus the scripted server's own work; what the caller spends sending and reading is not in it.
 */
export async function startTimedModel(options: { latencyMs: number }): Promise<TimedModel> {
  const model = await createScriptedModel({ latencyMs: options.latencyMs });
  const startedAt = new WeakMap<IncomingMessage, number>();
  // The recorded request keeps the very headers object of the IncomingMessage: the key that joins both.
  const turnOfHeaders = new WeakMap<IncomingHttpHeaders, { turn: string; chars: number }>();
  const turns = new Map<string, { requests: number; modelMs: number; requestChars: number }>();
  let offered: OfferedPrompt | undefined;

  const onStart = (message: unknown) => {
    startedAt.set((message as { request: IncomingMessage }).request, performance.now());
  };
  const onFinish = (message: unknown) => {
    const { request } = message as { request: IncomingMessage };
    const tagged = turnOfHeaders.get(request.headers);
    const started = startedAt.get(request);
    if (tagged === undefined || started === undefined) return;
    const entry = turns.get(tagged.turn) ?? { requests: 0, modelMs: 0, requestChars: 0 };
    entry.requests += 1;
    entry.modelMs += performance.now() - started;
    entry.requestChars += tagged.chars;
    turns.set(tagged.turn, entry);
  };
  diagnosticsChannel.subscribe('http.server.request.start', onStart);
  diagnosticsChannel.subscribe('http.server.response.finish', onFinish);

  model.setFallback((request) => {
    // `requests` keeps every body forever; a long run would hold hundreds of MB of prompts.
    model.requests.length = 0;
    // The last tag is this turn's: a conversation's history carries the tags of its earlier turns.
    const turn = [...request.rawBody.matchAll(TAG_PATTERN)].at(-1)?.[1];
    if (turn !== undefined) turnOfHeaders.set(request.headers, { turn, chars: request.rawBody.length });
    if (lastToolResults(request).length > 0)
      return { text: 'The Q3 plan is "Q3 Plan"; I found it with one search.' };
    offered = offeredBy(request.body) ?? offered;
    return { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }] };
  });

  return {
    model,
    offered: () => offered,
    takeTurn(id) {
      const entry = turns.get(id) ?? { requests: 0, modelMs: 0, requestChars: 0 };
      turns.delete(id);
      return entry;
    },
    async close() {
      diagnosticsChannel.unsubscribe('http.server.request.start', onStart);
      diagnosticsChannel.unsubscribe('http.server.response.finish', onFinish);
      await model.close();
    },
  };
}

/** The system prompt and function tools of a Chat Completions request, when it has both. */
function offeredBy(body: ChatRequestBody): OfferedPrompt | undefined {
  const system = body.messages?.find((message) => message.role === 'system')?.content;
  const tools = (body.tools ?? []).flatMap((tool) =>
    'function' in tool && tool.function
      ? [
          {
            name: tool.function.name,
            description: tool.function.description,
            parameters: tool.function.parameters,
          },
        ]
      : [],
  );
  return typeof system === 'string' && tools.length > 0 ? { system, tools } : undefined;
}
