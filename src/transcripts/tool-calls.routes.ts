import { Router } from 'express';
import { z } from 'zod';
import type { ToolCallEditsService } from '../edits/tool-call-edits.js';
import { currentUser } from '../http/api-key-auth.js';
import { parseInput } from '../http/validation.js';
import { paginate } from '../shared/cursor.js';
import type { ToolCallsRepository } from './tool-calls.repository.js';
import { toolCallViews } from './tool-calls.view.js';

export const limitSchema = z.coerce.number().int().min(1).max(200).default(50);

const querySchema = z.object({
  conversationId: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  status: z.enum(['awaiting_approval', 'denied', 'running', 'ok', 'error', 'timeout', 'aborted']).optional(),
  source: z.enum(['chat', 'direct', 'revert']).optional(),
  /** `true`: only calls that can change WPS data (the review page's "writes only"). */
  writes: z.enum(['true', 'false']).optional(),
  limit: limitSchema,
  cursor: z.string().min(1).optional(),
});

/** `GET /v1/tool-calls`: every tool call of the user, newest first, filterable, cursor-paginated. */
export function createToolCallsRoutes({
  toolCallsRepository,
  toolCallEdits,
}: {
  toolCallsRepository: ToolCallsRepository;
  toolCallEdits?: ToolCallEditsService;
}) {
  const router = Router();
  router.get('/tool-calls', async (request, response) => {
    const user = currentUser(request);
    const query = parseInput(querySchema, request.query, 'query');
    const { page, nextCursor } = await paginate({
      cursor: query.cursor,
      limit: query.limit,
      fetch: (before, limit) =>
        toolCallsRepository.list({
          userId: user.id,
          conversationId: query.conversationId,
          name: query.name,
          status: query.status,
          source: query.source,
          writes: query.writes === undefined ? undefined : query.writes === 'true',
          before: before ? { startedAt: before.at, id: before.id } : undefined,
          limit,
        }),
      positionOf: (row) => ({ at: row.startedAt, id: row.id }),
    });
    response.json({ toolCalls: await toolCallViews(page, toolCallEdits), nextCursor });
  });
  return router;
}
