import express from 'express';
import { createChatRoutes } from './agent/chat.routes.js';
import { modelIsConfigured, NO_MODEL_CONFIGURED } from './agent/model-errors.js';
import type { StorageStatus } from './db/storage-check.js';
import { createEditsRoutes } from './edits/edits.routes.js';
import { requireApiKey } from './http/api-key-auth.js';
import { limitBodyDepth } from './http/body-depth.js';
import { serveConsole } from './http/console.js';
import { createErrorHandler, JSON_BODY_LIMIT, notFoundHandler } from './http/error-handler.js';
import { rejectMalformedPath } from './http/malformed-path.js';
import { perUserRateLimit } from './http/rate-limit.js';
import { requestLog } from './http/request-log.js';
import { createToolsRoutes } from './mcp/tools.routes.js';
import { createMetricsRoutes } from './metrics/metrics.routes.js';
import type { Services } from './services.js';
import { createConversationsRoutes } from './transcripts/conversations.routes.js';
import { createToolCallsRoutes } from './transcripts/tool-calls.routes.js';
import { createUsageRoutes } from './usage/usage.routes.js';
import { createWpsAuthRoutes } from './wps-auth/wps-auth.routes.js';

export interface AppOptions {
  /** Shown on /health: the in-process sandbox's URL in sandbox mode. */
  sandboxUrl?: string;
  /** The built web console (`npm run build:web`); main.ts passes `web/dist`. */
  consoleDistDir?: string;
  /** Whether the database file is still where it was opened; /health answers 503 when it is not. */
  storageCheck?: () => StorageStatus;
  /** Whether the database answers now (PostgreSQL); /health answers 503 while it does not. */
  databaseReachable?: () => Promise<boolean>;
}

/** Builds the express app from the services. Never listens: main.ts and tests decide where. */
export function createApp(services: Services, options: AppOptions = {}) {
  const app = express();
  app.disable('x-powered-by');
  // No ETag on API answers: hashing every JSON body was the largest cost of res.json (issue 12), and no
  // client revalidates them. The console's static files keep theirs (express.static sets its own).
  app.set('etag', false);
  app.set('trust proxy', 'loopback');
  app.use(requestLog({ logger: services.logger }));
  app.use(rejectMalformedPath);

  app.get('/health', async (_request, response) => {
    const file: StorageStatus = options.storageCheck?.() ?? { ok: true };
    const storage: StorageStatus =
      file.ok && (await options.databaseReachable?.()) === false
        ? { ok: false, reason: 'the database cannot be reached' }
        : file;
    response.status(storage.ok ? 200 : 503).json({
      status: storage.ok ? 'ok' : 'unavailable',
      ...(storage.ok ? {} : { reason: storage.reason }),
      database: services.config.databaseDialect,
      mode: services.config.wps.mode,
      ...(services.config.wps.mode === 'sandbox'
        ? {
            sandbox: {
              url: options.sandboxUrl ?? null,
              notice: 'WPS sandbox mode: no real WPS account is used.',
            },
          }
        : {}),
      mcpServers: services.config.wps.servers,
      model: {
        id: services.config.openai.model,
        apiMode: services.config.openai.apiMode,
        // Origin and path only: a URL may carry credentials.
        baseUrl: withoutCredentials(services.config.openai.baseUrl),
        apiKeyConfigured: services.config.openai.apiKey !== undefined,
        // False with no key for OpenAI's own endpoint: the console then says so before the first message.
        configured: modelIsConfigured(services.config.openai),
        ...(modelIsConfigured(services.config.openai) ? {} : { notice: NO_MODEL_CONFIGURED }),
      },
    });
  });

  // Its own bearer token, not an API key; without METRICS_TOKEN there is no such route (404).
  const metricsToken = services.config.metrics.token;
  if (metricsToken)
    app.use(createMetricsRoutes({ token: metricsToken, registry: services.metrics.registry }));

  const wpsAuth = createWpsAuthRoutes({
    authorizationFlow: services.authorizationFlow,
    authorizationCallback: services.authorizationCallback,
    binding: services.binding,
    tokenManager: services.tokenManager,
    redirectUri: services.config.server.redirectUri,
    publicUrl: services.config.server.publicUrl,
    onDisconnect: (userId) => services.pool.closeUser(userId).then(() => services.catalog.invalidate(userId)),
    serverStatuses: (userId) => services.catalog.serverStatuses(userId),
    rateLimits: services.rateLimits,
  });
  app.use(wpsAuth.callback);

  const v1 = express.Router();
  v1.use(requireApiKey({ usersService: services.usersService }));
  v1.use(express.json({ limit: JSON_BODY_LIMIT }), limitBodyDepth);
  const costly = perUserRateLimit({
    name: 'costly',
    perMinute: services.config.rateLimitPerMinute,
    dependencies: services.rateLimits,
  });
  v1.post('/chat', costly);
  v1.post('/tools/call', costly);
  // First after the limits: chat is most of the traffic, and each router passed costs a match per request.
  v1.use(createChatRoutes(services.chat));
  v1.use(wpsAuth.api);
  v1.use(
    createToolsRoutes({
      catalog: services.catalog,
      runner: services.runner,
      validator: services.validator,
      authorizationFlow: services.authorizationFlow,
    }),
  );
  v1.use(createEditsRoutes({ reverter: services.reverter, authorizationFlow: services.authorizationFlow }));
  v1.use(
    createToolCallsRoutes({
      toolCallsRepository: services.toolCallsRepository,
      toolCallEdits: services.toolCallEdits,
    }),
  );
  v1.use(
    createConversationsRoutes({
      conversationsRepository: services.conversationsRepository,
      toolCallsRepository: services.toolCallsRepository,
      toolCallEdits: services.toolCallEdits,
    }),
  );
  v1.use(createUsageRoutes({ usageRepository: services.usageRepository, clock: services.clock }));
  app.use('/v1', v1);
  if (options.consoleDistDir) serveConsole(app, { distDir: options.consoleDistDir });

  app.use(notFoundHandler);
  app.use(createErrorHandler({ logger: services.logger }));
  return app;
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
}
