import { createOpenAI } from '@ai-sdk/openai';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { type generateText, type LanguageModelMiddleware, wrapLanguageModel } from 'ai';
import type { Config } from '../config/config.js';
import type { FetchLike } from '../shared/fetch.js';
import { boundToolInputs } from './tool-input-bounds.js';

/**
 * The model from configuration. `chat` speaks Chat Completions (`/chat/completions`), what every
 * OpenAI-compatible provider (DeepSeek, Qwen, Moonshot, Ollama, vLLM) implements; `responses` is OpenAI's
 * newer API. Keyless local endpoints (Ollama) work: a placeholder key is sent when none is configured.
 */
export function createLanguageModel(options: {
  openai: Config['openai'];
  fetch?: FetchLike;
  /**
   * Run after each model request has been started, for work that fits in the wait for its answer (the
   * embedded database's checkpoint, db/wal-checkpoints.ts).
   */
  whileAwaitingModel?: () => void;
}): LanguageModelV3 {
  const provider = createOpenAI({
    apiKey: options.openai.apiKey ?? 'not-configured',
    baseURL: options.openai.baseUrl,
    ...(options.fetch ? { fetch: options.fetch as typeof globalThis.fetch } : {}),
  });
  const model =
    options.openai.apiMode === 'chat'
      ? provider.chat(options.openai.model)
      : provider.responses(options.openai.model);
  const middleware = options.whileAwaitingModel
    ? [awaitingModel(options.whileAwaitingModel), boundToolInputs]
    : boundToolInputs;
  return wrapLanguageModel({ model, middleware });
}

/** Calls `whileAwaiting` once the provider has started each request (generated or streamed). */
function awaitingModel(whileAwaiting: () => void): LanguageModelMiddleware {
  return {
    specificationVersion: 'v3',
    wrapGenerate: ({ doGenerate }) => {
      const answer = doGenerate();
      whileAwaiting();
      return answer;
    },
    wrapStream: ({ doStream }) => {
      const stream = doStream();
      whileAwaiting();
      return stream;
    },
  };
}

/** Provider-specific settings of a model call, as the AI SDK types them. */
export type ProviderOptions = NonNullable<Parameters<typeof generateText>[0]['providerOptions']>;

/**
 * Responses API: `store: false`. By default OpenAI keeps each response and the AI SDK then replays earlier
 * assistant output as references to those stored ids; our transcripts must replay on their own (zero
 * data retention accounts, compatible servers that store nothing, conversations older than OpenAI's
 * retention). Chat Completions get nothing: some compatible servers reject unknown fields.
 */
export function modelProviderOptions(openai: Config['openai']): ProviderOptions | undefined {
  return openai.apiMode === 'responses' ? { openai: { store: false } } : undefined;
}
