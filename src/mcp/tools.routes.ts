import { Router } from 'express';
import { z } from 'zod';
import { isReadOnlyTool } from '../approvals/tool-classification.js';
import { currentUser } from '../http/api-key-auth.js';
import { parseInput } from '../http/validation.js';
import { errors, isAppError } from '../shared/errors.js';
import type { AuthorizationFlow } from '../wps-auth/authorization-flow.js';
import { authorizationRequiredAnswer } from '../wps-auth/authorization-required.js';
import { findAuthorizationRequired } from '../wps-auth/wps-auth.errors.js';
import type { ArgumentValidator } from './argument-validator.js';
import type { ToolCatalog } from './tool-catalog.js';
import type { ToolRunner } from './tool-runner.js';

const callBodySchema = z.object({
  name: z.string().min(1, 'name is required'),
  /** Only needed if two configured servers ever expose the same tool name. */
  server: z.string().min(1).optional(),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

/** `GET /v1/tools` and `POST /v1/tools/call`: WPS's guide's /toolslist and /toolscall, per user. */
export function createToolsRoutes(dependencies: {
  catalog: ToolCatalog;
  runner: ToolRunner;
  validator: ArgumentValidator;
  authorizationFlow: AuthorizationFlow;
}) {
  const router = Router();

  /** Turns a lost WPS authorization into the contract's 409 with a fresh URL; anything else is rethrown. */
  async function authorizationAnswer(userId: string, error: unknown): Promise<never> {
    const authorization = findAuthorizationRequired(error);
    if (authorization)
      throw await authorizationRequiredAnswer({
        authorizationFlow: dependencies.authorizationFlow,
        userId,
        error: authorization,
      });
    throw error;
  }

  /** The user's tool list and server statuses; a failure to get it from WPS is `upstream_unavailable`. */
  async function toolsOf(userId: string) {
    try {
      return await dependencies.catalog.snapshot(userId);
    } catch (error) {
      if (isAppError(error) || findAuthorizationRequired(error)) return authorizationAnswer(userId, error);
      throw errors.upstreamUnavailable('WPS could not be reached or failed; try again shortly.', error);
    }
  }

  router.get('/tools', async (request, response) => {
    const user = currentUser(request);
    const { tools, servers } = await toolsOf(user.id);
    response.json({
      servers,
      tools: tools.map(({ name, server, description, inputSchema, annotations }) => ({
        name,
        server,
        description,
        inputSchema,
        readOnly: isReadOnlyTool({ name, annotations }),
        argumentValidation: dependencies.validator.argumentValidation(inputSchema, { name, server }),
      })),
    });
  });

  router.post('/tools/call', async (request, response) => {
    const user = currentUser(request);
    const body = parseInput(callBodySchema, request.body ?? {}, 'tool call');
    const { tools } = await toolsOf(user.id);
    const tool = tools.find(
      (candidate) => candidate.name === body.name && (!body.server || candidate.server === body.server),
    );
    if (!tool) throw errors.toolNotFound(body.name);
    const issues = dependencies.validator.validate(tool.inputSchema, body.arguments, tool);
    if (issues.length > 0) {
      const summary = issues.map((issue) => `${issue.path || '(arguments)'} ${issue.message}`).join('; ');
      throw errors.validationFailed(`The arguments do not match ${tool.name}'s input schema: ${summary}`, {
        issues,
      });
    }
    const abort = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) abort.abort();
    });
    // The runner turns WPS's failures into outcomes; what it throws is an authorization problem or a
    // local fault, which must never be reported as WPS being unreachable.
    const outcome = await dependencies.runner
      .run({ userId: user.id, tool, arguments: body.arguments, source: 'direct', signal: abort.signal })
      .catch((error: unknown) => authorizationAnswer(user.id, error));
    if (outcome.failure?.kind === 'upstream' || outcome.failure?.kind === 'timeout') {
      throw errors.upstreamUnavailable(outcome.failure.message);
    }
    response.json({ toolCallId: outcome.toolCallId, result: outcome.result });
  });

  return router;
}
