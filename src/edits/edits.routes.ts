import { Router } from 'express';
import { z } from 'zod';
import { currentUser } from '../http/api-key-auth.js';
import { parseInput } from '../http/validation.js';
import type { AuthorizationFlow } from '../wps-auth/authorization-flow.js';
import { withWpsErrors } from '../wps-auth/authorization-required.js';
import type { Reverter } from './revert.js';

const revertBodySchema = z.object({ force: z.boolean().default(false) });

/** `POST /v1/tool-calls/:id/revert`. */
export function createEditsRoutes(dependencies: {
  reverter: Reverter;
  authorizationFlow: AuthorizationFlow;
}) {
  const router = Router();
  router.post('/tool-calls/:id/revert', async (request, response) => {
    const user = currentUser(request);
    const body = parseInput(revertBodySchema, request.body ?? {}, 'revert request');
    const reverted = await withWpsErrors(
      { authorizationFlow: dependencies.authorizationFlow, userId: user.id },
      () =>
        dependencies.reverter.revert({
          userId: user.id,
          toolCallId: String(request.params.id),
          force: body.force,
        }),
    );
    response.json(reverted);
  });
  return router;
}
