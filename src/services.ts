import type { ChatDependencies } from './agent/chat-turn.js';
import { createLanguageModel, modelProviderOptions } from './agent/language-model.js';
import { createNormalizedSchemaCache } from './agent/schema-normalizer.js';
import type { Config } from './config/config.js';
import type { AppDatabase } from './db/database.js';
import { createArgumentValidator } from './mcp/argument-validator.js';
import { createMcpConnectionPool } from './mcp/connection-pool.js';
import { createToolCatalog } from './mcp/tool-catalog.js';
import { createToolRunner } from './mcp/tool-runner.js';
import type { Clock } from './shared/clock.js';
import type { FetchLike } from './shared/fetch.js';
import type { Logger } from './shared/logger.js';
import { createSecretBox } from './shared/secret-box.js';
import { createAbandonedWorkSweeper } from './transcripts/abandoned-work.js';
import { createConversationsRepository } from './transcripts/conversations.repository.js';
import { createToolCallsRepository } from './transcripts/tool-calls.repository.js';
import { createUsersRepository } from './users/users.repository.js';
import { createUsersService } from './users/users.usecases.js';
import { createAuthorizationServerResolver } from './wps-auth/authorization-server.js';
import { createAuthorizationServices } from './wps-auth/authorization-services.js';
import { createTokenManager } from './wps-auth/token-manager.js';
import { createWpsConnectionsRepository } from './wps-auth/wps-connections.repository.js';

/** What the services are built from: the process's seams, which tests replace. */
export interface Infrastructure {
  config: Config;
  db: AppDatabase;
  clock: Clock;
  fetch: FetchLike;
  logger: Logger;
  encryptionKey: Buffer;
}

/** Wires every feature's services from the infrastructure. No module holds state of its own. */
export function createServices(infrastructure: Infrastructure) {
  const { config, db, clock, fetch, logger } = infrastructure;
  const secretBox = createSecretBox(infrastructure.encryptionKey);
  const usersRepository = createUsersRepository({ db });
  const usersService = createUsersService({ usersRepository, clock });
  const wpsConnectionsRepository = createWpsConnectionsRepository({ db });
  const firstServer = config.wps.servers[0] ?? 'kso-yundoc';
  const resolver = createAuthorizationServerResolver({
    fetch,
    clock,
    logger,
    mcpServerUrl: `${config.wps.mcpUrl}/${firstServer}/message`,
    configured: { authorizeUrl: config.wps.authorizeUrl, tokenUrl: config.wps.tokenUrl },
  });
  const client = { clientId: config.wps.clientId, clientSecret: config.wps.clientSecret };
  const tokenManager = createTokenManager({
    repository: wpsConnectionsRepository,
    secretBox,
    clock,
    fetch,
    logger,
    resolver,
    ...client,
    refreshMarginMs: config.auth.refreshMarginMs,
  });
  const { authorizationFlow, authorizationCallback, binding, pendingAuthorizationSweeper } =
    createAuthorizationServices({ infrastructure, secretBox, tokenManager, resolver, usersService });
  const pool = createMcpConnectionPool({
    mcpUrl: config.wps.mcpUrl,
    transport: config.wps.transport,
    callTimeoutMs: config.mcp.callTimeoutMs,
    idleTimeoutMs: config.mcp.idleTimeoutMs,
    tokenManager,
    fetch,
    clock,
    logger,
  });
  const catalog = createToolCatalog({
    pool,
    servers: config.wps.servers,
    ttlMs: config.mcp.toolsCacheTtlMs,
    clock,
    logger,
  });
  const toolCallsRepository = createToolCallsRepository({ db });
  const runner = createToolRunner({
    pool,
    toolCallsRepository,
    clock,
    logger,
    callTimeoutMs: config.mcp.callTimeoutMs,
  });

  const validator = createArgumentValidator({ logger });
  const conversationsRepository = createConversationsRepository({ db });
  const chat: ChatDependencies = {
    model: createLanguageModel({ openai: config.openai }),
    catalog,
    runner,
    validator,
    tokenManager,
    authorizationFlow,
    conversationsRepository,
    clock,
    logger,
    settings: config.agent,
    schemaCache: createNormalizedSchemaCache({ max: 500 }),
    providerOptions: modelProviderOptions(config.openai),
    modelEndpoint: config.openai,
    secrets: [config.openai.apiKey, config.wps.clientSecret].filter((secret): secret is string =>
      Boolean(secret),
    ),
  };

  const abandonedWork = createAbandonedWorkSweeper({
    toolCallsRepository,
    conversationsRepository,
    clock,
    logger,
    callTimeoutMs: config.mcp.callTimeoutMs,
    turnTimeoutMs: config.agent.turnTimeoutMs,
  });

  return {
    ...infrastructure,
    usersService,
    tokenManager,
    authorizationFlow,
    authorizationCallback,
    binding,
    pool,
    catalog,
    validator,
    runner,
    toolCallsRepository,
    conversationsRepository,
    abandonedWork,
    chat,
    /** Releases what the services hold open (MCP connections, timers). */
    async close(): Promise<void> {
      abandonedWork.stop();
      pendingAuthorizationSweeper.stop();
      await pool.close();
    },
  };
}

export type Services = ReturnType<typeof createServices>;
