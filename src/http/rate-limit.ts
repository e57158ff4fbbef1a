import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { DatabaseRateLimitStore } from '../rate-limits/rate-limit-store.js';
import type { RateLimitsRepository } from '../rate-limits/rate-limits.repository.js';
import type { Clock } from '../shared/clock.js';
import { errors } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { errorBody } from './error-handler.js';

/** What every per-user limiter counts with: the shared counters, the clock, where failures are told. */
export interface RateLimitDependencies {
  repository: RateLimitsRepository;
  clock: Clock;
  logger: Logger;
}

/**
 * Per-user limit on the expensive routes (chat turns, tool calls): each costs model tokens or WPS quota.
 * Counted in the database (rate_limit_hits), so every instance on it shares one count per user and
 * limiter `name`. `perMinute` 0 turns it off.
 *
 * When the counters cannot be read the request goes through (fail open, with a logged warning): the
 * limiter is a cost guard, and a request that does costly work writes its transcript to the same database,
 * so it fails with `unavailable` there anyway; failing closed would only turn a limiter hiccup into an
 * outage of every limited route.
 */
export function perUserRateLimit({
  name,
  perMinute,
  what = 'chat turns and tool calls',
  dependencies,
}: {
  /** Names the counter; limiters with different names count separately. */
  name: string;
  perMinute: number;
  /** What is counted, for the 429 message. */
  what?: string;
  dependencies: RateLimitDependencies;
}): RequestHandler {
  if (perMinute === 0) return (_request, _response, next) => next();
  const { logger } = dependencies;
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    store: new DatabaseRateLimitStore(`${name}:`, dependencies),
    passOnStoreError: true,
    logger: {
      error: (error, message) => logger.warn({ err: error }, message),
      warn: (error, message) => logger.warn({ err: error }, message),
    },
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
