import type { RequestHandler } from 'express';
import type { Logger } from '../shared/logger.js';

/**
 * One line per request. Logs the path without its query string on purpose: the OAuth callback's query
 * carries the authorization code and state.
 *
 * The line is built from known-safe fields only (method, path, status, duration), so it is written by a
 * child logger without the process logger's redaction paths: their wildcards ran over every field of
 * every request line (issue 12). Every other log line keeps the redaction safety net.
 */
export function requestLog({ logger }: { logger: Logger }): RequestHandler {
  const lineLogger = logger.child({}, { redact: { paths: [] } });
  return (request, response, next) => {
    if (!logger.isLevelEnabled('info')) {
      next();
      return;
    }
    const started = performance.now();
    response.on('finish', () => {
      lineLogger.info(
        {
          method: request.method,
          path: pathOf(request.originalUrl),
          status: response.statusCode,
          durationMs: Math.round(performance.now() - started),
        },
        'request',
      );
    });
    next();
  };
}

/** The path as the client sent it: `request.path` is relative to the router by the time it finishes. */
function pathOf(originalUrl: string): string {
  const query = originalUrl.indexOf('?');
  return query === -1 ? originalUrl : originalUrl.slice(0, query);
}
