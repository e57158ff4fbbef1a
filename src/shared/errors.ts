/**
 * The one error model. Every failure a caller may see is an AppError with a stable `code` (the contract's
 * error codes), an HTTP `status`, a message that is safe to show, and optional `details` that are safe to
 * show too. `cause` is for logs only and never leaves the process.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  /** Sent as the `Retry-After` header: when the same request is worth trying again. */
  readonly retryAfterSeconds: number | undefined;

  constructor(options: {
    code: string;
    status: number;
    message: string;
    details?: Record<string, unknown>;
    retryAfterSeconds?: number;
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    this.name = 'AppError';
    this.code = options.code;
    this.status = options.status;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

export const errors = {
  unauthorized: (message = 'A valid API key is required: send Authorization: Bearer <apiKey>.') =>
    new AppError({ code: 'unauthorized', status: 401, message }),
  validationFailed: (message: string, details?: Record<string, unknown>) =>
    new AppError({ code: 'validation_failed', status: 400, message, details }),
  payloadTooLarge: (message: string) => new AppError({ code: 'payload_too_large', status: 413, message }),
  notFound: (message = 'Not found.') => new AppError({ code: 'not_found', status: 404, message }),
  toolNotFound: (name: string) =>
    new AppError({ code: 'tool_not_found', status: 404, message: `No tool named "${name}" is available.` }),
  wpsAuthorizationRequired: (authorizeUrl: string, message = 'Connect your WPS account to continue.') =>
    new AppError({ code: 'wps_authorization_required', status: 409, message, details: { authorizeUrl } }),
  rateLimited: (message = 'Too many requests; slow down.', retryAfterSeconds?: number) =>
    new AppError({ code: 'rate_limited', status: 429, message, retryAfterSeconds }),
  conversationBusy: () =>
    new AppError({
      code: 'conversation_busy',
      status: 409,
      message: 'A turn of this conversation is still running; wait for it to finish.',
    }),
  /** The database is busy or cannot be written: nothing was stored, the same request may be retried. */
  unavailable: (cause?: unknown) =>
    new AppError({
      code: 'unavailable',
      status: 503,
      message: 'The database is busy or unavailable; nothing was stored. Try again shortly.',
      retryAfterSeconds: 2,
      cause,
    }),
  /** SIGTERM: this instance finishes its running turns and takes no new ones; another may answer. */
  shuttingDown: () =>
    new AppError({
      code: 'unavailable',
      status: 503,
      message: 'This server is shutting down; nothing was stored. Try again in a moment.',
      retryAfterSeconds: 2,
    }),
  upstreamUnavailable: (message: string, cause?: unknown) =>
    new AppError({ code: 'upstream_unavailable', status: 502, message, cause }),
  modelError: (message: string, cause?: unknown) =>
    new AppError({ code: 'model_error', status: 502, message, cause }),
  approvalDecided: (message = 'This approval has been answered already.') =>
    new AppError({ code: 'approval_decided', status: 409, message }),
  approvalExpired: (message = 'This approval has expired; ask again.') =>
    new AppError({ code: 'approval_expired', status: 409, message }),
  editConflict: (message: string) => new AppError({ code: 'edit_conflict', status: 409, message }),
  notRevertible: (message: string) => new AppError({ code: 'not_revertible', status: 400, message }),
  internal: (cause?: unknown) =>
    new AppError({ code: 'internal', status: 500, message: 'Internal server error.', cause }),
  /** The database refused to store a turn's end: said plainly, with no database details. */
  turnNotSaved: (cause: unknown) =>
    new AppError({
      code: 'internal',
      status: 500,
      message:
        'The answer could not be saved (the database refused the write), so this turn failed. Try again.',
      cause,
    }),
  /** A conversation's stored model messages cannot be replayed (written by another version?). */
  historyUnreadable: (message: string, cause?: unknown) =>
    new AppError({ code: 'history_unreadable', status: 500, message, cause }),
};
