import { APICallError, RetryError } from 'ai';
import type { Config } from '../config/config.js';
import { redactUrlCredentials } from '../shared/url-credentials.js';

/** Said, word for word, wherever a chat needs a model and none is configured. */
export const NO_MODEL_CONFIGURED =
  'No model is configured: set OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL (environment or .env); any OpenAI-compatible endpoint works';

/**
 * No key for OpenAI's own endpoint: every request would fail (after retries, as an unhelpful network or
 * 401 error). A keyless endpoint elsewhere (Ollama, vLLM on localhost) is a configured model.
 */
export function modelIsConfigured(openai: Pick<Config['openai'], 'apiKey' | 'baseUrl'>): boolean {
  if (openai.apiKey !== undefined) return true;
  return new URL(openai.baseUrl).hostname !== 'api.openai.com';
}

/** The endpoint answered, but not with a completion the AI SDK could read (an HTML page, `{}`, a cut stream). */
export class UnreadableAnswerError extends Error {
  override readonly name = 'UnreadableAnswerError';
}

/**
 * A step whose stream ended with no finish, or with a part the SDK could not parse. The AI SDK reports
 * such a step as finished (`other` with no raw reason, or `error`) instead of failing it.
 */
export function unreadableAnswer(step: {
  finishReason: string;
  rawFinishReason?: string | undefined;
}): UnreadableAnswerError | undefined {
  const unfinished = step.finishReason === 'other' && step.rawFinishReason === undefined;
  if (!unfinished && step.finishReason !== 'error') return undefined;
  return new UnreadableAnswerError('its answer ended without a finish');
}

const ENDPOINT_HINT = 'Check that OPENAI_BASE_URL is an OpenAI-compatible endpoint (it usually ends in /v1).';

/**
 * A safe, useful sentence about a failed model call: the HTTP status and the provider's own message,
 * with any configured secret cut out (providers echo masked keys; we never echo ours).
 */
export function describeModelError(error: unknown, secrets: string[]): string {
  const last = RetryError.isInstance(error) ? error.lastError : error;
  let message: string;
  if (last instanceof UnreadableAnswerError) {
    message = `The model endpoint's answer could not be read: ${last.message}. ${ENDPOINT_HINT}`;
  } else if (APICallError.isInstance(last) && last.statusCode === undefined) {
    message = `The model endpoint could not be reached (${sentenceBody(last.message, 200)}). Check OPENAI_BASE_URL.`;
  } else if (APICallError.isInstance(last) && (last.statusCode ?? 0) < 300) {
    // A 2xx that is not a completion: a web server or proxy answered, not a model API.
    message = `The model endpoint's answer could not be read (HTTP ${last.statusCode}: ${sentenceBody(last.message, 200)}). ${ENDPOINT_HINT}`;
  } else if (APICallError.isInstance(last)) {
    const status = last.statusCode ? ` (HTTP ${last.statusCode})` : '';
    const hint =
      last.statusCode === 401
        ? ' Check OPENAI_API_KEY.'
        : last.statusCode === 404
          ? ' Check OPENAI_MODEL and OPENAI_BASE_URL.'
          : '';
    message = `The model endpoint failed${status}: ${sentenceBody(last.message, 300)}.${hint}`;
  } else if (
    last instanceof Error &&
    /fetch failed|ECONNREFUSED|ENOTFOUND|ETIMEDOUT/i.test(`${last.message} ${String(last.cause)}`)
  ) {
    message = 'The model endpoint could not be reached. Check OPENAI_BASE_URL.';
  } else {
    message = `The model request failed: ${last instanceof Error ? sentenceBody(last.message, 300) : 'unknown error'}.`;
  }
  for (const secret of secrets) {
    if (secret.length >= 8) message = message.replaceAll(secret, '[redacted]');
  }
  return redactUrlCredentials(message);
}

/** A provider message cut to `maxChars`, without its own closing period (ours follows it). */
function sentenceBody(text: string, maxChars: number): string {
  return text
    .slice(0, maxChars)
    .trim()
    .replace(/[.。]+$/u, '');
}
