import { APICallError, RetryError } from 'ai';
import { redactUrlCredentials } from '../shared/url-credentials.js';

/**
 * A safe, useful sentence about a failed model call: the HTTP status and the provider's own message,
 * with any configured secret cut out (providers echo masked keys; we never echo ours).
 */
export function describeModelError(error: unknown, secrets: string[]): string {
  const last = RetryError.isInstance(error) ? error.lastError : error;
  let message: string;
  if (APICallError.isInstance(last) && last.statusCode === undefined) {
    message = `The model endpoint could not be reached (${last.message.slice(0, 200)}). Check OPENAI_BASE_URL.`;
  } else if (APICallError.isInstance(last)) {
    const status = last.statusCode ? ` (HTTP ${last.statusCode})` : '';
    const hint =
      last.statusCode === 401
        ? ' Check OPENAI_API_KEY.'
        : last.statusCode === 404
          ? ' Check OPENAI_MODEL and OPENAI_BASE_URL.'
          : '';
    message = `The model endpoint failed${status}: ${last.message.slice(0, 300)}.${hint}`;
  } else if (
    last instanceof Error &&
    /fetch failed|ECONNREFUSED|ENOTFOUND|ETIMEDOUT/i.test(`${last.message} ${String(last.cause)}`)
  ) {
    message = 'The model endpoint could not be reached. Check OPENAI_BASE_URL.';
  } else {
    message = `The model request failed: ${last instanceof Error ? last.message.slice(0, 300) : 'unknown error'}.`;
  }
  for (const secret of secrets) {
    if (secret.length >= 8) message = message.replaceAll(secret, '[redacted]');
  }
  return redactUrlCredentials(message);
}
