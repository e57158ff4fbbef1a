import { createOpenAI } from '@ai-sdk/openai';
import type { LanguageModel } from 'ai';
import type { Config } from '../config/config.js';
import type { FetchLike } from '../shared/fetch.js';

/**
 * The model from configuration. `chat` speaks Chat Completions (`/chat/completions`), what every
 * OpenAI-compatible provider (DeepSeek, Qwen, Moonshot, Ollama, vLLM) implements; `responses` is OpenAI's
 * newer API. Keyless local endpoints (Ollama) work: a placeholder key is sent when none is configured.
 */
export function createLanguageModel(options: { openai: Config['openai']; fetch?: FetchLike }): LanguageModel {
  const provider = createOpenAI({
    apiKey: options.openai.apiKey ?? 'not-configured',
    baseURL: options.openai.baseUrl,
    ...(options.fetch ? { fetch: options.fetch as typeof globalThis.fetch } : {}),
  });
  return options.openai.apiMode === 'chat'
    ? provider.chat(options.openai.model)
    : provider.responses(options.openai.model);
}
