import { z } from 'zod';
import { hasUrlCredentials } from '../shared/url-credentials.js';

/** WPS MCP server names look like `kso-yundoc`; anything else is a typo that would 404 at WPS. */
const serverName = /^[a-z0-9][a-z0-9-]*$/;

const integer = (name: string, options: { min: number; max: number }) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(options.min, `${name} must be at least ${options.min}`)
        .max(options.max, `${name} must be at most ${options.max}`),
    );

/**
 * Credentials in a URL would be echoed wherever the URL is (errors, logs, /health) and most HTTP clients
 * drop them anyway, so a URL setting never carries them; `credentialsHint` says where they belong.
 */
const url = (name: string, credentialsHint = 'configure credentials through their own settings') =>
  z
    .string()
    .trim()
    .refine((value) => URL.canParse(value) && /^https?:/.test(value), `${name} must be an http(s) URL`)
    .refine(
      (value) => !hasUrlCredentials(value),
      `${name} must not contain a user name or password (user:password@host): ${credentialsHint}`,
    )
    .transform((value) => value.replace(/\/+$/, ''));

const ENCRYPTION_KEY_FORMAT = '32 random bytes, base64-encoded (try: openssl rand -base64 32)';
const isEncryptionKey = (value: string) =>
  /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32;

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/**
 * Every environment variable the server reads, with its default. Names and defaults of the contract's
 * variables are fixed by ../shared/product-contract.md; the rest are this project's additions and are
 * documented in the README's configuration table.
 */
export const environmentSchema = z.object({
  PORT: integer('PORT', { min: 0, max: 65535 }).default(8080),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PUBLIC_URL: url('PUBLIC_URL').optional(),
  WPS_REDIRECT_URI: url('WPS_REDIRECT_URI').optional(),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  DATABASE_URL: z.string().trim().min(1).optional(),
  DATABASE_POOL_SIZE: integer('DATABASE_POOL_SIZE', { min: 1, max: 1000 }).default(10),
  TOKEN_ENCRYPTION_KEY: z
    .string()
    .trim()
    .refine(isEncryptionKey, `TOKEN_ENCRYPTION_KEY must be ${ENCRYPTION_KEY_FORMAT}`)
    .optional(),
  // Keys being rotated out: they only open what they sealed (README: "Rotating the token encryption key").
  TOKEN_ENCRYPTION_PREVIOUS_KEYS: list
    .superRefine((keys, context) => {
      // Counted from 1 and never echoed: the operator finds the entry without the key reaching a log.
      keys.forEach((key, index) => {
        if (!isEncryptionKey(key))
          context.addIssue({
            code: 'custom',
            message: `TOKEN_ENCRYPTION_PREVIOUS_KEYS entry ${index + 1} of ${keys.length} must be ${ENCRYPTION_KEY_FORMAT}`,
          });
      });
    })
    .optional(),
  WPS_APP_ID: z.string().trim().min(1).optional(),
  WPS_APP_KEY: z.string().trim().min(1).optional(),
  WPS_MCP_URL: url('WPS_MCP_URL').default('https://openapi.wps.cn/mcp/v2'),
  WPS_MCP_SERVERS: list
    .pipe(
      z
        .array(z.string().regex(serverName, 'WPS_MCP_SERVERS entries look like kso-yundoc'))
        .min(1, 'WPS_MCP_SERVERS must name at least one server'),
    )
    .default(['kso-yundoc', 'kso-airpage', 'kso-dbsheet']),
  WPS_MCP_TRANSPORT: z
    .enum(['auto', 'streamable-http', 'sse'], {
      error: 'WPS_MCP_TRANSPORT must be one of auto, streamable-http, sse',
    })
    .default('auto'),
  WPS_OAUTH_AUTHORIZE_URL: url('WPS_OAUTH_AUTHORIZE_URL').default('https://openapi.wps.cn/oauth2/auth'),
  WPS_OAUTH_TOKEN_URL: url('WPS_OAUTH_TOKEN_URL').default('https://openapi.wps.cn/oauth2/token'),
  WPS_SCOPES: list
    .pipe(z.array(z.string().regex(/^[\w.:-]+$/, 'WPS_SCOPES entries look like kso.mcp_yundoc.readwrite')))
    .optional(),
  OPENAI_API_KEY: z.string().trim().min(1).optional(),
  OPENAI_BASE_URL: url(
    'OPENAI_BASE_URL',
    'put the key in OPENAI_API_KEY (sent as Authorization: Bearer)',
  ).default('https://api.openai.com/v1'),
  OPENAI_MODEL: z.string().trim().min(1).default('gpt-5-mini'),
  OPENAI_API_MODE: z
    .enum(['chat', 'responses'], { error: 'OPENAI_API_MODE must be chat or responses' })
    .default('chat'),
  TOOL_APPROVAL: z
    .enum(['writes', 'all', 'never'], { error: 'TOOL_APPROVAL must be one of writes, all, never' })
    .default('writes'),
  METRICS_TOKEN: z.string().trim().min(1).optional(),
  // Additions to the contract (README: "More settings").
  SANDBOX_PORT: integer('SANDBOX_PORT', { min: 0, max: 65535 }).default(8090),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  TOKEN_REFRESH_MARGIN_SECONDS: integer('TOKEN_REFRESH_MARGIN_SECONDS', { min: 0, max: 3600 }).default(300),
  MCP_CALL_TIMEOUT_MS: integer('MCP_CALL_TIMEOUT_MS', { min: 100, max: 600_000 }).default(60_000),
  MCP_IDLE_TIMEOUT_MS: integer('MCP_IDLE_TIMEOUT_MS', { min: 1000, max: 86_400_000 }).default(600_000),
  TOOLS_CACHE_TTL_MS: integer('TOOLS_CACHE_TTL_MS', { min: 0, max: 86_400_000 }).default(300_000),
  AGENT_MAX_STEPS: integer('AGENT_MAX_STEPS', { min: 1, max: 100 }).default(12),
  AGENT_TURN_TIMEOUT_MS: integer('AGENT_TURN_TIMEOUT_MS', { min: 1000, max: 3_600_000 }).default(300_000),
  TOOL_OUTPUT_BUDGET_CHARS: integer('TOOL_OUTPUT_BUDGET_CHARS', { min: 200, max: 1_000_000 }).default(16_000),
  CONTEXT_BUDGET_CHARS: integer('CONTEXT_BUDGET_CHARS', { min: 1000, max: 10_000_000 }).default(120_000),
  HISTORY_CACHE_CHARS: integer('HISTORY_CACHE_CHARS', { min: 0, max: 1_000_000_000 }).default(4_000_000),
  APPROVAL_TTL_SECONDS: integer('APPROVAL_TTL_SECONDS', { min: 10, max: 30 * 86_400 }).default(86_400),
  SNAPSHOT_RETENTION_DAYS: integer('SNAPSHOT_RETENTION_DAYS', { min: 1, max: 3650 }).default(30),
  DESTRUCTIVE_EDIT_PERCENT: integer('DESTRUCTIVE_EDIT_PERCENT', { min: 1, max: 100 }).default(50),
  RATE_LIMIT_PER_MINUTE: integer('RATE_LIMIT_PER_MINUTE', { min: 0, max: 100_000 }).default(120),
  // Instances sharing one database (heartbeat, dead-instance sweep) and the per-user turn cap.
  AGENT_MAX_TURNS_IN_FLIGHT: integer('AGENT_MAX_TURNS_IN_FLIGHT', { min: 1, max: 10_000 }).default(3),
  INSTANCE_HEARTBEAT_MS: integer('INSTANCE_HEARTBEAT_MS', { min: 50, max: 600_000 }).default(5_000),
  INSTANCE_EXPIRY_MS: integer('INSTANCE_EXPIRY_MS', { min: 200, max: 3_600_000 }).default(30_000),
  ABANDONED_WORK_SWEEP_MS: integer('ABANDONED_WORK_SWEEP_MS', { min: 50, max: 3_600_000 }).default(15_000),
  SHUTDOWN_GRACE_MS: integer('SHUTDOWN_GRACE_MS', { min: 0, max: 600_000 }).default(10_000),
  // Longer than the idle timeout of the proxy or client in front (60 s is common), so that side closes first.
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', { min: 1_000, max: 3_600_000 }).default(
    65_000,
  ),
});

/**
 * Rules across variables. Kept outside the object schema so they are reported even when a single
 * variable is also invalid: start-up lists every problem at once.
 */
export function crossVariableProblems(environment: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (environment.WPS_APP_ID && !environment.WPS_APP_KEY)
    problems.push('WPS_APP_KEY: WPS_APP_KEY is required when WPS_APP_ID is set');
  if (environment.WPS_APP_KEY && !environment.WPS_APP_ID)
    problems.push('WPS_APP_ID: WPS_APP_ID is required when WPS_APP_KEY is set');
  const heartbeatMs = Number(environment.INSTANCE_HEARTBEAT_MS ?? 5_000);
  const expiryMs = Number(environment.INSTANCE_EXPIRY_MS ?? 30_000);
  // A live instance must beat at least twice within the expiry, or a slow beat makes peers abort its work.
  if (expiryMs < 2 * heartbeatMs)
    problems.push('INSTANCE_EXPIRY_MS: INSTANCE_EXPIRY_MS must be at least twice INSTANCE_HEARTBEAT_MS');
  const databaseUrl = environment.DATABASE_URL;
  const postgres = databaseUrl !== undefined && isPostgresUrl(databaseUrl);
  if (
    databaseUrl &&
    !postgres &&
    /^[a-z][a-z0-9+.-]*:\/\//i.test(databaseUrl) &&
    !/^(sqlite|file):/i.test(databaseUrl)
  ) {
    problems.push(
      `DATABASE_URL: a SQLite file path or a postgres:// / postgresql:// URL is expected (got a "${databaseUrl.split(':')[0]}" URL)`,
    );
  }
  if (postgres) {
    try {
      new URL(databaseUrl);
    } catch {
      problems.push('DATABASE_URL: not a valid postgres:// URL');
    }
    // A generated key would differ per instance: each could open only the tokens it sealed itself.
    if (!environment.TOKEN_ENCRYPTION_KEY)
      problems.push(
        'TOKEN_ENCRYPTION_KEY: required with PostgreSQL (every instance needs the same key; try: openssl rand -base64 32)',
      );
  }
  return problems;
}

export type Environment = z.output<typeof environmentSchema>;

/** `DATABASE_URL` names PostgreSQL (anything else is a SQLite file). */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}
