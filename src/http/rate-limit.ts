import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { errors } from '../shared/errors.js';
import { errorBody } from './error-handler.js';

/**
 * Per-user limit on the expensive routes (chat turns, tool calls): each costs model tokens or WPS quota.
 * Counted per process in memory: with several instances the effective limit is per instance, which is
 * acceptable for a cost guard (a shared store can be plugged into express-rate-limit later).
 * `perMinute` 0 turns it off.
 */
export function perUserRateLimit({
  perMinute,
  what = 'chat turns and tool calls',
}: {
  perMinute: number;
  /** What is counted, for the 429 message. */
  what?: string;
}): RequestHandler {
  if (perMinute === 0) return (_request, _response, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    // draft-7: `RateLimit-Policy` and one `RateLimit` header, same information as draft-8 without
    // hashing the user's key into a partition id on every request (issue 12). 429s keep `Retry-After`.
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (_request, response) => String(response.locals.user?.id ?? 'anonymous'),
    handler: (_request, response) => {
      response
        .status(429)
        .json(errorBody(errors.rateLimited(`At most ${perMinute} ${what} per minute; slow down.`)));
    },
  });
}
