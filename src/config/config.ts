import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { redactUrlCredentials } from '../shared/url-credentials.js';
import { crossVariableProblems, environmentSchema, isPostgresUrl } from './config.schema.js';

export type WpsMode = 'sandbox' | 'live';
export type McpTransportSetting = 'auto' | 'streamable-http' | 'sse';

/** The validated, resolved configuration. Built once in main.ts and passed down; nothing else reads env. */
export interface Config {
  server: { port: number; host: string; publicUrl: string; redirectUri: string; keepAliveTimeoutMs: number };
  dataDir: string;
  /** The SQLite file (dialect `sqlite`); unused on PostgreSQL. */
  databasePath: string;
  /** Which database the agent runs on (/health says it). */
  databaseDialect: 'sqlite' | 'postgres';
  /** PostgreSQL: the connection URL (may hold a password: never log it) and each instance's pool size. */
  postgres: { url: string; poolSize: number } | undefined;
  /** 32 bytes, or undefined: then the secrets module generates one into dataDir. */
  tokenEncryptionKey: Buffer | undefined;
  /** Keys a rotation is retiring: values they sealed still open; nothing new is sealed with them. */
  previousTokenEncryptionKeys: Buffer[];
  wps: {
    mode: WpsMode;
    clientId: string;
    clientSecret: string;
    mcpUrl: string;
    servers: string[];
    transport: McpTransportSetting;
    authorizeUrl: string;
    tokenUrl: string;
    scopes: string[];
  };
  sandbox: { port: number };
  openai: { apiKey: string | undefined; baseUrl: string; model: string; apiMode: 'chat' | 'responses' };
  logLevel: string;
  auth: { refreshMarginMs: number; pendingAuthorizationTtlMs: number };
  mcp: { callTimeoutMs: number; idleTimeoutMs: number; toolsCacheTtlMs: number };
  agent: {
    maxSteps: number;
    turnTimeoutMs: number;
    toolOutputBudgetChars: number;
    contextBudgetChars: number;
    /** Characters of finished history messages each process keeps read and checked; 0 keeps none. */
    historyCacheChars: number;
    /** A user's chat turns running at once, across every instance on the database. */
    maxTurnsInFlight: number;
  };
  rateLimitPerMinute: number;
  safeEdits: {
    approval: 'writes' | 'all' | 'never';
    approvalTtlMs: number;
    snapshotRetentionMs: number;
    /** A write that removes at least this share of a document's text is flagged loudly (0..1). */
    destructiveRemovalRatio: number;
  };
  /** Server processes sharing the database: heartbeat, when a silent one is dead, how often to sweep. */
  instances: { heartbeatMs: number; expiryMs: number; sweepMs: number };
  /** `GET /metrics` answers only this bearer token; undefined: no /metrics route at all. */
  metrics: { token: string | undefined };
  /** On SIGTERM/SIGINT, how long running chat turns may take to finish before they are stored aborted. */
  shutdown: { graceMs: number };
}

/** Start-up stops with this: one message that lists every problem at once. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The client the in-process sandbox registers for the agent; not a secret, the sandbox is local. */
export const SANDBOX_CLIENT = { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' } as const;

/** WPS names one delegated scope per MCP server: kso-yundoc → kso.mcp_yundoc.readwrite. */
export function scopeForServer(server: string): string {
  return `kso.mcp_${server.replace(/^kso-/, '')}.readwrite`;
}

/** Reads `.env` from the working directory, if present; real environment variables win over it. */
export function readEnvironment(options: { environment?: NodeJS.ProcessEnv; envFile?: string } = {}) {
  const environment = options.environment ?? process.env;
  const envFile = options.envFile ?? path.resolve('.env');
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...environment } as Record<string, string | undefined>;
}

/** Validates the environment and resolves every default; throws ConfigError listing all problems. */
export function loadConfig(environment: Record<string, string | undefined>): Config {
  // Empty strings mean "unset" (a `.env` line like `WPS_APP_ID=`), so defaults apply.
  const cleaned = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const parsed = environmentSchema.safeParse(cleaned);
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => {
          const key = issue.path.join('.');
          const value = cleaned[key];
          const shown =
            value !== undefined && !/KEY|SECRET/.test(key) ? ` (got "${redactUrlCredentials(value)}")` : '';
          return `${key}: ${issue.message}${shown}`;
        })),
    ...crossVariableProblems(cleaned),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const env = parsed.data;
  const publicUrl = env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;
  const mode: WpsMode = env.WPS_APP_ID ? 'live' : 'sandbox';
  const sandboxUrl = `http://127.0.0.1:${env.SANDBOX_PORT}`;
  const dataDir = path.resolve(env.DATA_DIR);
  return {
    server: {
      port: env.PORT,
      host: env.HOST,
      publicUrl,
      redirectUri: env.WPS_REDIRECT_URI ?? `${publicUrl}/callback`,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    dataDir,
    databasePath:
      env.DATABASE_URL && !isPostgresUrl(env.DATABASE_URL)
        ? databasePathFrom(env.DATABASE_URL)
        : path.join(dataDir, 'agent.db'),
    databaseDialect: env.DATABASE_URL && isPostgresUrl(env.DATABASE_URL) ? 'postgres' : 'sqlite',
    postgres:
      env.DATABASE_URL && isPostgresUrl(env.DATABASE_URL)
        ? { url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }
        : undefined,
    tokenEncryptionKey: env.TOKEN_ENCRYPTION_KEY
      ? Buffer.from(env.TOKEN_ENCRYPTION_KEY, 'base64')
      : undefined,
    previousTokenEncryptionKeys: (env.TOKEN_ENCRYPTION_PREVIOUS_KEYS ?? []).map((key) =>
      Buffer.from(key, 'base64'),
    ),
    wps: {
      mode,
      clientId: env.WPS_APP_ID ?? SANDBOX_CLIENT.clientId,
      clientSecret: env.WPS_APP_KEY ?? SANDBOX_CLIENT.clientSecret,
      mcpUrl: mode === 'sandbox' ? `${sandboxUrl}/mcp/v2` : env.WPS_MCP_URL,
      servers: env.WPS_MCP_SERVERS,
      transport: env.WPS_MCP_TRANSPORT,
      authorizeUrl: mode === 'sandbox' ? `${sandboxUrl}/oauth2/auth` : env.WPS_OAUTH_AUTHORIZE_URL,
      tokenUrl: mode === 'sandbox' ? `${sandboxUrl}/oauth2/token` : env.WPS_OAUTH_TOKEN_URL,
      scopes: env.WPS_SCOPES ?? env.WPS_MCP_SERVERS.map(scopeForServer),
    },
    sandbox: { port: env.SANDBOX_PORT },
    openai: {
      apiKey: env.OPENAI_API_KEY,
      baseUrl: env.OPENAI_BASE_URL,
      model: env.OPENAI_MODEL,
      apiMode: env.OPENAI_API_MODE,
    },
    logLevel: env.LOG_LEVEL,
    auth: {
      refreshMarginMs: env.TOKEN_REFRESH_MARGIN_SECONDS * 1000,
      pendingAuthorizationTtlMs: 10 * 60_000,
    },
    mcp: {
      callTimeoutMs: env.MCP_CALL_TIMEOUT_MS,
      idleTimeoutMs: env.MCP_IDLE_TIMEOUT_MS,
      toolsCacheTtlMs: env.TOOLS_CACHE_TTL_MS,
    },
    agent: {
      maxSteps: env.AGENT_MAX_STEPS,
      turnTimeoutMs: env.AGENT_TURN_TIMEOUT_MS,
      toolOutputBudgetChars: env.TOOL_OUTPUT_BUDGET_CHARS,
      contextBudgetChars: env.CONTEXT_BUDGET_CHARS,
      historyCacheChars: env.HISTORY_CACHE_CHARS,
      maxTurnsInFlight: env.AGENT_MAX_TURNS_IN_FLIGHT,
    },
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    safeEdits: {
      approval: env.TOOL_APPROVAL,
      approvalTtlMs: env.APPROVAL_TTL_SECONDS * 1000,
      snapshotRetentionMs: env.SNAPSHOT_RETENTION_DAYS * 86_400_000,
      destructiveRemovalRatio: env.DESTRUCTIVE_EDIT_PERCENT / 100,
    },
    instances: {
      heartbeatMs: env.INSTANCE_HEARTBEAT_MS,
      expiryMs: env.INSTANCE_EXPIRY_MS,
      sweepMs: env.ABANDONED_WORK_SWEEP_MS,
    },
    metrics: { token: env.METRICS_TOKEN },
    shutdown: { graceMs: env.SHUTDOWN_GRACE_MS },
  };
}

/**
 * Re-points every WPS setting at a running sandbox (its port is only known once it listens). The agent
 * talks to it over loopback; browsers are sent to its consent page on the host they reach the agent by.
 */
export function pointAtSandbox(config: Config, sandboxUrl: string): Config {
  const browserUrl = new URL(sandboxUrl);
  browserUrl.hostname = new URL(config.server.publicUrl).hostname;
  return {
    ...config,
    wps: {
      ...config.wps,
      mcpUrl: `${sandboxUrl}/mcp/v2`,
      authorizeUrl: `${browserUrl.origin}/oauth2/auth`,
      tokenUrl: `${sandboxUrl}/oauth2/token`,
    },
  };
}

/** `DATABASE_URL` may be a plain path or a `file:` / `sqlite:` URL (others are refused by the schema). */
function databasePathFrom(value: string): string {
  if (value === ':memory:') return value;
  return path.resolve(value.replace(/^(sqlite|file):(\/\/)?/i, ''));
}
