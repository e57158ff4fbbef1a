import { Router } from 'express';
import { z } from 'zod';
import { currentUser } from '../http/api-key-auth.js';
import { parseInput } from '../http/validation.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';
import type { ToolCallsRepository } from './tool-calls.repository.js';
import { toolCallView } from './tool-calls.view.js';

export const limitSchema = z.coerce.number().int().min(1).max(200).default(50);

const querySchema = z.object({
  conversationId: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  status: z.enum(['running', 'ok', 'error', 'timeout', 'aborted']).optional(),
  source: z.enum(['chat', 'direct']).optional(),
  limit: limitSchema,
  cursor: z.string().min(1).optional(),
});

/** `GET /v1/tool-calls`: every tool call of the user, newest first, filterable, cursor-paginated. */
export function createToolCallsRoutes({ toolCallsRepository }: { toolCallsRepository: ToolCallsRepository }) {
  const router = Router();
  router.get('/tool-calls', (request, response) => {
    const user = currentUser(request);
    const query = parseInput(querySchema, request.query, 'query');
    const position = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = toolCallsRepository.list({
      userId: user.id,
      conversationId: query.conversationId,
      name: query.name,
      status: query.status,
      source: query.source,
      before: position ? { startedAt: position.at, id: position.id } : undefined,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    response.json({
      toolCalls: page.map(toolCallView),
      nextCursor:
        rows.length > query.limit && last ? encodeCursor({ at: last.startedAt, id: last.id }) : null,
    });
  });
  return router;
}
