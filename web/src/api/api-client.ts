import { ApiError, apiErrorFrom } from './api-error';

export interface ApiClient {
  readonly apiKey: string;
  /** Calls the API with the key; answers the parsed JSON (undefined for a 204). Throws ApiError. */
  request<T>(method: string, route: string, body?: unknown): Promise<T>;
  /** A `fetch` that adds the key and reports a 401 like `request` does (for the chat stream). */
  fetch: typeof fetch;
}

/**
 * The one place that talks to the agent API. Every call carries `Authorization: Bearer <key>`; a 401
 * anywhere calls `onUnauthorized`, which sends the user back to sign-in; a 409 calls `onConflict`.
 */
export function createApiClient(options: {
  apiKey: string;
  onUnauthorized(message: string): void;
  /** Called on any 409 (WPS authorization required, a busy conversation…): the WPS state may have changed. */
  onConflict?(): void;
}): ApiClient {
  const authorizedFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${options.apiKey}`);
    const response = await fetch(input, { ...init, headers });
    if (response.status === 401) {
      const error = await apiErrorFrom(response);
      options.onUnauthorized(error.message);
      throw error;
    }
    if (response.status === 409) options.onConflict?.();
    return response;
  };

  return {
    apiKey: options.apiKey,
    fetch: authorizedFetch,
    async request<T>(method: string, route: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await authorizedFetch(route, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw await apiErrorFrom(response);
      if (response.status === 204) return undefined as T;
      const text = await response.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}

/** Checks a key before keeping it: answers who it belongs to, or the reason it was refused. */
export async function verifyApiKey(apiKey: string): Promise<{ ok: true } | { ok: false; message: string }> {
  try {
    const response = await fetch('/v1/me', {
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
    });
    if (response.ok) return { ok: true };
    const error = await apiErrorFrom(response);
    return {
      ok: false,
      message: error.status === 401 ? 'That API key is unknown or has been revoked.' : error.message,
    };
  } catch (error: unknown) {
    return { ok: false, message: `The agent server could not be reached (${String(error)}).` };
  }
}

export { ApiError };
