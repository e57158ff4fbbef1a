import type { Config } from '../config/config.js';
import { OPENAI_DEFAULT_BASE_URL } from '../config/config.schema.js';

/**
 * What the first-start banner, `doctor` and the chat error say when no model is configured. One sentence
 * in one place, so the three never drift apart.
 */
export const MODEL_NOT_CONFIGURED_MESSAGE =
  'No model is configured: set OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL (environment or .env); any OpenAI-compatible endpoint works';

/**
 * False when chat cannot work at all: no key and the default OpenAI URL. A keyless local endpoint
 * (Ollama, vLLM) is configured by its base URL alone.
 */
export function isModelConfigured(openai: Config['openai']): boolean {
  return openai.apiKey !== undefined || openai.baseUrl.replace(/\/+$/, '') !== OPENAI_DEFAULT_BASE_URL;
}
