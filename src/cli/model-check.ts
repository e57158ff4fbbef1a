import { modelIsConfigured, NO_MODEL_CONFIGURED } from '../agent/model-errors.js';
import type { Config } from '../config/config.js';
import type { FetchLike } from '../shared/fetch.js';

export interface ModelCheck {
  ok: boolean;
  detail: string;
}

/** A model that has not answered a one-token request in this long is as good as down for a chat. */
const MODEL_CHECK_TIMEOUT_MS = 20_000;

/**
 * Checks the model with the smallest real request the agent's chat would make: one tiny chat completion
 * (or one response in `responses` mode). A `/models` listing proves little: some providers do not serve it,
 * and a base URL without `/v1` answers it 404 while every chat then fails.
 */
export async function checkModel({
  config,
  fetch,
}: {
  config: Config;
  fetch: FetchLike;
}): Promise<ModelCheck> {
  const { openai } = config;
  if (!modelIsConfigured(openai)) return { ok: false, detail: `${NO_MODEL_CONFIGURED}.` };
  const endpoint = openai.apiMode === 'responses' ? 'responses' : 'chat/completions';
  const url = `${openai.baseUrl}/${endpoint}`;
  // OpenAI's Responses API refuses max_output_tokens below 16.
  const body =
    openai.apiMode === 'responses'
      ? { model: openai.model, input: 'Reply with OK.', max_output_tokens: 16 }
      : { model: openai.model, messages: [{ role: 'user', content: 'Reply with OK.' }], max_tokens: 1 };
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(openai.apiKey ? { authorization: `Bearer ${openai.apiKey}` } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(MODEL_CHECK_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const reason = cause ?? (error instanceof Error ? error.message : String(error));
    return { ok: false, detail: `Cannot reach ${openai.baseUrl} (${reason}): check OPENAI_BASE_URL.` };
  }
  const text = (await response.text().catch(() => '')).slice(0, 300);
  if (response.ok)
    return { ok: true, detail: `${url} answered a one-token request with model ${openai.model}.` };
  if (response.status === 401 || response.status === 403)
    return {
      ok: false,
      detail: `${openai.baseUrl} refused the key (HTTP ${response.status}): check OPENAI_API_KEY.`,
    };
  if (response.status === 404) {
    const hint = /\/v\d+$/.test(openai.baseUrl)
      ? `check OPENAI_BASE_URL, and that OPENAI_MODEL (${openai.model}) exists there`
      : `OPENAI_BASE_URL usually ends in /v1: try OPENAI_BASE_URL=${openai.baseUrl}/v1`;
    return { ok: false, detail: `${url} answered HTTP 404: ${hint}.` };
  }
  return {
    ok: false,
    detail: `${url} answered HTTP ${response.status} to a one-token request with model ${openai.model}${providerMessage(text)}: check OPENAI_MODEL and OPENAI_API_MODE.`,
  };
}

/** The provider's own error message, when its body has the usual `{"error":{"message"}}` shape. */
function providerMessage(body: string): string {
  try {
    const message = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message;
    return typeof message === 'string' ? ` ("${message.slice(0, 200)}")` : '';
  } catch {
    return '';
  }
}
