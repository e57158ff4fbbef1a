/** An error answer of the agent API: `{"error":{"code","message", ...extra}}` with its HTTP status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Set with `wps_authorization_required`: where the user connects their WPS account. */
  readonly authorizeUrl?: string;

  constructor(options: { status: number; code: string; message: string; authorizeUrl?: string }) {
    super(options.message);
    this.name = 'ApiError';
    this.status = options.status;
    this.code = options.code;
    this.authorizeUrl = options.authorizeUrl;
  }
}

/** Reads an error answer; anything that is not the API's error shape still becomes an ApiError. */
export async function apiErrorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as {
      error?: { code?: unknown; message?: unknown; authorizeUrl?: unknown };
    };
    const error = parsed.error;
    if (error && typeof error.code === 'string') {
      return new ApiError({
        status: response.status,
        code: error.code,
        message: typeof error.message === 'string' ? error.message : error.code,
        authorizeUrl: typeof error.authorizeUrl === 'string' ? error.authorizeUrl : undefined,
      });
    }
  } catch {
    // Not JSON (a proxy's HTML page): fall through to a generic message.
  }
  return new ApiError({
    status: response.status,
    code: 'http_error',
    message: `The server answered ${response.status} ${response.statusText}`.trim(),
  });
}

/** What to show for any error: the API's message, or the error's own. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
