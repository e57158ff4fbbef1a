import type { RequestHandler } from 'express';
import type { Logger } from '../shared/logger.js';

/**
 * One line per request. Logs the path without its query string on purpose: the OAuth callback's query
 * carries the authorization code and state.
 */
export function requestLog({ logger }: { logger: Logger }): RequestHandler {
  return (request, response, next) => {
    if (!logger.isLevelEnabled('info')) {
      next();
      return;
    }
    const started = performance.now();
    response.on('finish', () => {
      logger.info(
        {
          method: request.method,
          path: request.path,
          status: response.statusCode,
          durationMs: Math.round(performance.now() - started),
        },
        'request',
      );
    });
    next();
  };
}
