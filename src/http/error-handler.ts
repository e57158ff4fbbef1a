import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import { type AppError, errors, isAppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { malformedPathError } from './malformed-path.js';

/** The largest JSON body a `/v1` route reads (express.json's `limit`); larger ones are 413. */
export const JSON_BODY_LIMIT = '1mb';

/** The contract's error body: `{"error":{"code","message", ...details}}`. */
export function errorBody(error: AppError) {
  return { error: { code: error.code, message: error.message, ...(error.details ?? {}) } };
}

/** Turns any thrown value into the contract's error body; unknown errors become a detail-free 500. */
export function createErrorHandler({ logger }: { logger: Logger }): ErrorRequestHandler {
  return (error: unknown, request, response, _next) => {
    const appError = isAppError(error) ? error : fromExpressError(error);
    if (appError.status >= 500) {
      logger.error(
        {
          err: appError.cause ?? appError,
          method: request.method,
          path: request.path,
          errorCode: appError.code,
        },
        'request failed',
      );
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    if (appError.retryAfterSeconds !== undefined)
      response.setHeader('retry-after', String(appError.retryAfterSeconds));
    response.status(appError.status).json(errorBody(appError));
  };
}

/** Body-parser and friends throw errors carrying `status` and `type`; map the ones a client caused. */
function fromExpressError(error: unknown): AppError {
  // A busy or broken database that escaped a repository's guard is still "try again", never a 500.
  if (isDatabaseUnavailable(error)) return errors.unavailable(error);
  const candidate = error as { status?: number; type?: string } | undefined;
  // A route parameter that does not percent-decode (express 5 throws while matching): the client's input.
  if (error instanceof URIError) return malformedPathError();
  if (candidate?.type === 'entity.parse.failed')
    return errors.validationFailed('The request body is not valid JSON.');
  if (candidate?.type === 'entity.too.large')
    return errors.payloadTooLarge(`The request body is larger than the limit (${JSON_BODY_LIMIT}).`);
  if (candidate?.status === 415 || candidate?.type === 'encoding.unsupported') {
    return errors.validationFailed('Unsupported request body encoding.');
  }
  return errors.internal(error);
}

export const notFoundHandler: RequestHandler = (request, _response, next) => {
  next(errors.notFound(`No route for ${request.method} ${request.path}.`));
};
