import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { createMcpRoutes, type McpRouteDependencies } from './mcp/mcp-routes.js';
import { type AuthorizeRouteDependencies, createAuthorizeRoutes } from './oauth/authorize-routes.js';
import { createDiscoveryRoutes } from './oauth/discovery-routes.js';
import { createTokenRoutes, type TokenRouteDependencies } from './oauth/token-routes.js';

export interface SandboxAppDependencies {
  baseUrl: string;
  discovery: boolean;
  logger: Logger;
  authorize: AuthorizeRouteDependencies;
  token: TokenRouteDependencies;
  mcp: McpRouteDependencies;
}

/** The sandbox's express app; never listens. */
export function createSandboxApp(dependencies: SandboxAppDependencies): express.Express {
  const { logger } = dependencies;
  const app = express();
  app.disable('x-powered-by');

  // Paths only: query strings carry codes and states, which must not end up in logs.
  app.use((request: Request, response: Response, next: NextFunction) => {
    const started = performance.now();
    response.on('finish', () => {
      logger.info({
        method: request.method,
        path: request.path,
        status: response.statusCode,
        ms: Math.round(performance.now() - started),
      });
    });
    next();
  });

  app.use(createAuthorizeRoutes(dependencies.authorize));
  app.use(createTokenRoutes(dependencies.token));
  if (dependencies.discovery) app.use(createDiscoveryRoutes({ baseUrl: dependencies.baseUrl }));
  app.use(createMcpRoutes(dependencies.mcp));

  app.use((_request: Request, response: Response) => {
    response.status(404).json({ code: 40_400_001, msg: 'not_found', debug: { desc: 'no such endpoint' } });
  });

  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      response
        .status(status)
        .json({ code: 40_000_001, msg: 'invalid_request', debug: { desc: 'malformed request body' } });
      return;
    }
    logger.error({ err: error, path: request.path }, 'unhandled sandbox error');
    if (!response.headersSent)
      response
        .status(500)
        .json({ code: 50_000_001, msg: 'internal_error', debug: { desc: 'internal error' } });
  });

  return app;
}
