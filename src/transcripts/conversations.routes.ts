import { Router } from 'express';
import { z } from 'zod';
import type { ToolCallEditsService } from '../edits/tool-call-edits.js';
import { currentUser } from '../http/api-key-auth.js';
import { parseInput } from '../http/validation.js';
import { paginate } from '../shared/cursor.js';
import { errors } from '../shared/errors.js';
import type { ConversationsRepository } from './conversations.repository.js';
import { conversationTranscript } from './conversations.view.js';
import type { ToolCallsRepository } from './tool-calls.repository.js';
import { limitSchema } from './tool-calls.routes.js';

const listQuerySchema = z.object({ limit: limitSchema, cursor: z.string().min(1).optional() });

/** Review of past conversations: list, transcript (messages with their tool calls), delete. */
export function createConversationsRoutes(dependencies: {
  conversationsRepository: ConversationsRepository;
  toolCallsRepository: ToolCallsRepository;
  toolCallEdits?: ToolCallEditsService;
}) {
  const { conversationsRepository } = dependencies;
  const router = Router();

  router.get('/conversations', async (request, response) => {
    const user = currentUser(request);
    const query = parseInput(listQuerySchema, request.query, 'query');
    const { page, nextCursor } = await paginate({
      cursor: query.cursor,
      limit: query.limit,
      fetch: (before, limit) =>
        conversationsRepository.listConversations({
          userId: user.id,
          before: before ? { updatedAt: before.at, id: before.id } : undefined,
          limit,
        }),
      positionOf: (row) => ({ at: row.updatedAt, id: row.id }),
    });
    response.json({
      conversations: page.map((row) => ({
        id: row.id,
        title: row.title,
        createdAt: new Date(row.createdAt).toISOString(),
        updatedAt: new Date(row.updatedAt).toISOString(),
      })),
      nextCursor,
    });
  });

  router.get('/conversations/:id', async (request, response) => {
    const user = currentUser(request);
    const conversation = await conversationsRepository.findConversation(user.id, request.params.id);
    if (!conversation) throw errors.notFound('No conversation with this id.');
    response.json(await conversationTranscript({ conversation, ...dependencies }));
  });

  router.delete('/conversations/:id', async (request, response) => {
    const user = currentUser(request);
    if (!(await conversationsRepository.deleteConversation(user.id, request.params.id)))
      throw errors.notFound('No conversation with this id.');
    response.status(204).end();
  });

  return router;
}
