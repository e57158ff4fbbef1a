import { createOpenAI } from '@ai-sdk/openai';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { type generateText, wrapLanguageModel } from 'ai';
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
  return wrapLanguageModel({ model, middleware: boundToolInputs });
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
