import { createToolDefinitionCache } from './agent/catalog-tool-definitions.js';
import type { ChatDependencies } from './agent/chat-turn.js';
import { createHistoryCache } from './agent/history-cache.js';
import { createHistoryPrompts } from './agent/history-prompt.js';
import { createLanguageModel, modelProviderOptions } from './agent/language-model.js';
import { resolveMessageSchemaCycles } from './agent/message-schema-warmup.js';
import { createNormalizedSchemaCache } from './agent/schema-normalizer.js';
import { createTurnDrain } from './agent/turn-drain.js';
import { createWpsToolSets } from './agent/wps-tools.js';
import { createApprovals } from './approvals/approvals.usecases.js';
import { isReadOnlyTool } from './approvals/tool-classification.js';
import type { Config } from './config/config.js';
import type { PostgresNotifications } from './db/postgres-notifications.js';
import { type AnyDatabase, createRepositories } from './db/repositories.js';
import { createPreviews } from './edits/previews.js';
import { createReverter } from './edits/revert.js';
import { createSnapshots } from './edits/snapshots.js';
import { createToolCallEdits } from './edits/tool-call-edits.js';
import { createWpsReads } from './edits/wps-reads.js';
import { startFleetInvalidation } from './fleet/fleet-invalidation.js';
import { createInstanceHeartbeat } from './instances/instance-heartbeat.js';
import type { InstanceIdentity } from './instances/instance-liveness.js';
import { createArgumentValidator } from './mcp/argument-validator.js';
import { createMcpConnectionPool } from './mcp/connection-pool.js';
import { createToolCatalog } from './mcp/tool-catalog.js';
import { createToolRunner } from './mcp/tool-runner.js';
import { createAgentMetrics } from './metrics/agent-metrics.js';
import type { Clock } from './shared/clock.js';
import type { FetchLike } from './shared/fetch.js';
import { createId } from './shared/ids.js';
import type { Logger } from './shared/logger.js';
import { createSecretBox } from './shared/secret-box.js';
import { createAbandonedWorkSweeper } from './transcripts/abandoned-work.js';
import { createUsersService } from './users/users.usecases.js';
import { createAuthorizationServerResolver } from './wps-auth/authorization-server.js';
import { createAuthorizationServices } from './wps-auth/authorization-services.js';
import { createTokenManager } from './wps-auth/token-manager.js';

/** What the services are built from: the process's seams, which tests replace. */
export interface Infrastructure {
  config: Config;
  database: AnyDatabase;
  /** PostgreSQL: the LISTEN connection shared by the repositories and the fleet's cache invalidation. */
  notifications?: PostgresNotifications;
  clock: Clock;
  fetch: FetchLike;
  logger: Logger;
  encryptionKey: Buffer;
  /** Keys a rotation is retiring: they open what they sealed, and seal nothing new. */
  previousEncryptionKeys: Buffer[];
}

/** Wires every feature's services from the infrastructure. No module holds state of its own. */
export function createServices(infrastructure: Infrastructure) {
  const { config, clock, fetch, logger } = infrastructure;
  const secretBox = createSecretBox({
    current: infrastructure.encryptionKey,
    previous: infrastructure.previousEncryptionKeys,
  });
  // This process, as the rows it owns record it: peers close them only once its heartbeat stops.
  const instance: InstanceIdentity = { id: createId('inst'), expiryMs: config.instances.expiryMs };
  const repositories = createRepositories(infrastructure.database, {
    instance,
    turnsInFlightPerUser: config.agent.maxTurnsInFlight,
    notifications: infrastructure.notifications,
  });
  const {
    instances: instancesRepository,
    approvals: approvalsRepository,
    users: usersRepository,
    wpsConnections: wpsConnectionsRepository,
    toolCalls: toolCallsRepository,
    conversations: conversationsRepository,
  } = repositories;
  const heartbeat = createInstanceHeartbeat({
    instancesRepository,
    instance,
    clock,
    logger,
    intervalMs: config.instances.heartbeatMs,
  });
  // Before the features that report to it; the gauges read their sources (the pool below) at scrape time.
  const metrics = createAgentMetrics({
    pendingApprovals: () => approvalsRepository.countPending(clock.now()),
    poolConnections: () => pool.stats().connections,
    notificationStreams: () => pool.stats().notificationStreams,
  });
  const usersService = createUsersService({ usersRepository, clock });
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
    instanceId: instance.id,
    metrics,
  });
  const { authorizationFlow, authorizationCallback, binding, pendingAuthorizationSweeper } =
    createAuthorizationServices({
      infrastructure,
      repository: repositories.pendingAuthorizations,
      secretBox,
      tokenManager,
      resolver,
      usersService,
    });
  // Tool schemas compiled once for the process: the calls' arguments and the clients' results.
  const validator = createArgumentValidator({ logger });
  const pool = createMcpConnectionPool({
    mcpUrl: config.wps.mcpUrl,
    transport: config.wps.transport,
    callTimeoutMs: config.mcp.callTimeoutMs,
    idleTimeoutMs: config.mcp.idleTimeoutMs,
    tokenManager,
    fetch,
    clock,
    logger,
    outputSchemas: validator.outputSchemas(),
  });
  const catalog = createToolCatalog({
    pool,
    servers: config.wps.servers,
    ttlMs: config.mcp.toolsCacheTtlMs,
    clock,
    logger,
  });
  const reads = createWpsReads({ pool });
  const snapshots = createSnapshots({ reads, secretBox });
  const runner = createToolRunner({
    pool,
    toolCallsRepository,
    clock,
    logger,
    callTimeoutMs: config.mcp.callTimeoutMs,
    metrics,
    beforeWrite: {
      changesData: (tool) => !isReadOnlyTool(tool),
      snapshot: (userId, tool, args) => snapshots.captureSealed(userId, tool, args),
    },
  });
  const reverter = createReverter({ toolCallsRepository, snapshots, reads, catalog, runner });

  const previews = createPreviews({ reads, destructiveRatio: config.safeEdits.destructiveRemovalRatio });
  const approvals = createApprovals({
    approvalsRepository,
    conversationsRepository,
    previews,
    secretBox,
    clock,
    ttlMs: config.safeEdits.approvalTtlMs,
  });
  const turnDrain = createTurnDrain();
  resolveMessageSchemaCycles();
  const chat: ChatDependencies = {
    model: createLanguageModel({
      openai: config.openai,
      whileAwaitingModel:
        infrastructure.database.dialect === 'sqlite'
          ? infrastructure.database.checkpoints?.whileWaiting
          : undefined,
    }),
    catalog,
    runner,
    validator,
    tokenManager,
    authorizationFlow,
    conversationsRepository,
    clock,
    logger,
    settings: config.agent,
    toolSets: createWpsToolSets({
      runner,
      validator,
      outputBudgetChars: config.agent.toolOutputBudgetChars,
      definitions: createToolDefinitionCache({ schemaCache: createNormalizedSchemaCache({ max: 500 }) }),
    }),
    historyCache: createHistoryCache({ maxChars: config.agent.historyCacheChars }),
    historyPrompts: createHistoryPrompts(),
    providerOptions: modelProviderOptions(config.openai),
    safeEdits: {
      setting: config.safeEdits.approval,
      approvals,
      previews,
      runner,
      toolCallsRepository,
      conversationsRepository,
      clock,
    },
    modelEndpoint: config.openai,
    metrics,
    turnDrain,
    secrets: [config.openai.apiKey, config.wps.clientSecret].filter((secret): secret is string =>
      Boolean(secret),
    ),
  };

  const abandonedWork = createAbandonedWorkSweeper({
    toolCallsRepository,
    conversationsRepository,
    instancesRepository,
    clock,
    logger,
    callTimeoutMs: config.mcp.callTimeoutMs,
    turnTimeoutMs: config.agent.turnTimeoutMs,
    snapshotRetentionMs: config.safeEdits.snapshotRetentionMs,
    intervalMs: config.instances.sweepMs,
  });

  let fleetInvalidation: { stop(): void } | undefined;
  const retireInstance = async () => {
    try {
      const toolCalls = await toolCallsRepository.abortRunningOfThisInstance();
      const turns = await conversationsRepository.abortStreamingOfThisInstance();
      if (toolCalls + turns > 0) logger.info({ toolCalls, turns }, 'stored work in flight as aborted');
    } catch (error) {
      logger.error({ err: error }, 'could not store work in flight as aborted; peers will sweep it');
    }
  };

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
    snapshots,
    reads,
    approvalsRepository,
    approvals,
    toolCallEdits: createToolCallEdits({
      approvalsRepository,
      approvals,
      snapshots,
      destructiveRatio: config.safeEdits.destructiveRemovalRatio,
    }),
    reverter,
    abandonedWork,
    chat,
    turnDrain,
    metrics,
    usageRepository: repositories.usage,
    /** The per-user limiters' shared counters (src/http/rate-limit.ts). */
    rateLimits: { repository: repositories.rateLimits, clock, logger },
    instance,
    heartbeat,
    /** Announces this instance (heartbeat row) and starts closing work that dead instances left. */
    async start(): Promise<void> {
      await heartbeat.start();
      abandonedWork.start();
      const { database, notifications } = infrastructure;
      // On SQLite there is no channel between processes: their caches expire on their own (5 s, TTL).
      if (database.dialect === 'postgres' && notifications)
        fleetInvalidation = await startFleetInvalidation({
          db: database.db,
          notifications,
          tokenManager,
          pool,
          catalog,
          logger,
        });
    },
    /**
     * Releases what the services hold open (MCP connections, timers). This instance's turns and tool
     * calls still in flight are stored `aborted` and its row deleted: a clean shutdown leaves no work
     * for peers to sweep.
     */
    async close(): Promise<void> {
      fleetInvalidation?.stop();
      abandonedWork.stop();
      pendingAuthorizationSweeper.stop();
      // Before the connections close: a call or turn that fails on them afterwards stays `aborted`.
      await retireInstance();
      await pool.close();
      await heartbeat.stop();
    },
  };
}

export type Services = ReturnType<typeof createServices>;
