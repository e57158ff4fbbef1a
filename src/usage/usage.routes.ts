import { Router } from 'express';
import { z } from 'zod';
import { currentUser } from '../http/api-key-auth.js';
import { parseInput } from '../http/validation.js';
import type { Clock } from '../shared/clock.js';
import type { UsageRepository } from './usage.repository.js';

/** Without `since`: the last 30 days, a billing-sized window that stays cheap to sum. */
const DEFAULT_WINDOW_MS = 30 * 86_400_000;

const querySchema = z.object({
  since: z
    .union([z.iso.datetime({ offset: true }), z.iso.date()], {
      error: 'since must be an ISO 8601 date (2026-01-31) or date-time (2026-01-31T08:00:00Z)',
    })
    .optional(),
});

/** `GET /v1/usage?since`: the calling user's turns, model usage and tool calls since a date. */
export function createUsageRoutes({
  usageRepository,
  clock,
}: {
  usageRepository: UsageRepository;
  clock: Clock;
}) {
  const router = Router();
  router.get('/usage', async (request, response) => {
    const user = currentUser(request);
    const query = parseInput(querySchema, request.query, 'query');
    // A date alone means midnight UTC of that day.
    const since = query.since ? Date.parse(query.since) : clock.now() - DEFAULT_WINDOW_MS;
    response.json({
      since: new Date(since).toISOString(),
      ...(await usageRepository.totalsSince(user.id, since)),
    });
  });
  return router;
}
