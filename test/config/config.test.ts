import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, pointAtSandbox, readEnvironment } from '../../src/config/config.js';
import { ENCRYPTION_KEY_FILE, resolveEncryptionKey } from '../../src/config/encryption-key.js';

describe('configuration', () => {
  it('with nothing set, starts in sandbox mode on the contract defaults', () => {
    const config = loadConfig({});
    expect(config.server).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:8080',
      redirectUri: 'http://localhost:8080/callback',
    });
    expect(config.wps.mode).toBe('sandbox');
    expect(config.wps.servers).toEqual(['kso-yundoc', 'kso-airpage', 'kso-dbsheet']);
    expect(config.wps.scopes).toEqual([
      'kso.mcp_yundoc.readwrite',
      'kso.mcp_airpage.readwrite',
      'kso.mcp_dbsheet.readwrite',
    ]);
    expect(config.wps.transport).toBe('auto');
    expect(config.wps.mcpUrl).toBe('http://127.0.0.1:8090/mcp/v2');
    expect(config.databasePath).toBe(path.resolve('./data/agent.db'));
    expect(config.openai).toMatchObject({ baseUrl: 'https://api.openai.com/v1', apiMode: 'chat' });
  });

  it('with a WPS app, uses WPS endpoints, derived scopes and the redirect URI from PUBLIC_URL', () => {
    const config = loadConfig({
      WPS_APP_ID: 'app',
      WPS_APP_KEY: 'key',
      PUBLIC_URL: 'https://agent.example.com/',
      WPS_MCP_SERVERS: 'kso-yundoc, kso-calendar',
    });
    expect(config.wps).toMatchObject({
      mode: 'live',
      clientId: 'app',
      mcpUrl: 'https://openapi.wps.cn/mcp/v2',
      authorizeUrl: 'https://openapi.wps.cn/oauth2/auth',
      tokenUrl: 'https://openapi.wps.cn/oauth2/token',
      scopes: ['kso.mcp_yundoc.readwrite', 'kso.mcp_calendar.readwrite'],
    });
    expect(config.server.redirectUri).toBe('https://agent.example.com/callback');
  });

  it('lists every problem at once', () => {
    let caught: unknown;
    try {
      loadConfig({
        PORT: 'abc',
        WPS_MCP_TRANSPORT: 'carrier-pigeon',
        WPS_APP_ID: 'app',
        TOKEN_ENCRYPTION_KEY: 'short',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as ConfigError).message;
    expect(message).toContain('PORT');
    expect(message).toContain('WPS_MCP_TRANSPORT must be one of auto, streamable-http, sse');
    expect(message).toContain('WPS_APP_KEY is required when WPS_APP_ID is set');
    expect(message).toContain('TOKEN_ENCRYPTION_KEY');
    expect(message).not.toContain('short');
    expect((caught as ConfigError).problems).toHaveLength(4);
  });

  it('reads previous token encryption keys for a rotation, and lists every bad one with the other problems', () => {
    const keyA = Buffer.alloc(32, 1);
    const keyB = Buffer.alloc(32, 2);
    expect(loadConfig({}).previousTokenEncryptionKeys).toEqual([]);
    expect(
      loadConfig({
        TOKEN_ENCRYPTION_PREVIOUS_KEYS: ` ${keyA.toString('base64')} ,${keyB.toString('base64url')}`,
      }).previousTokenEncryptionKeys,
    ).toEqual([keyA, keyB]);

    let caught: unknown;
    try {
      loadConfig({
        PORT: 'abc',
        TOKEN_ENCRYPTION_KEY: 'short',
        TOKEN_ENCRYPTION_PREVIOUS_KEYS: `${keyA.toString('base64')},not-a-key,${Buffer.alloc(16, 3).toString('base64')}`,
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems).toEqual([
      expect.stringContaining('PORT'),
      expect.stringContaining('TOKEN_ENCRYPTION_KEY must be 32 random bytes'),
      expect.stringContaining('TOKEN_ENCRYPTION_PREVIOUS_KEYS entry 2 of 3 must be 32 random bytes'),
      expect.stringContaining('TOKEN_ENCRYPTION_PREVIOUS_KEYS entry 3 of 3 must be 32 random bytes'),
    ]);
    const message = (caught as ConfigError).message;
    expect(message).not.toContain('not-a-key');
    expect(message).not.toContain(keyA.toString('base64'));
  });

  it('reads a .env file, and real environment variables win over it', () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'env-'));
    const envFile = path.join(directory, '.env');
    writeFileSync(envFile, 'PORT=9000\nOPENAI_MODEL=from-file\n# comment\nWPS_APP_ID=\n');
    const config = loadConfig(readEnvironment({ environment: { OPENAI_MODEL: 'from-env' }, envFile }));
    expect(config.server.port).toBe(9000);
    expect(config.openai.model).toBe('from-env');
    expect(config.wps.mode).toBe('sandbox');
  });

  it('caps turns in flight at 3 per user by default, and refuses an instance expiry shorter than two beats', () => {
    expect(loadConfig({}).agent.maxTurnsInFlight).toBe(3);
    expect(loadConfig({}).instances).toEqual({ heartbeatMs: 5_000, expiryMs: 30_000, sweepMs: 15_000 });
    expect(() => loadConfig({ INSTANCE_HEARTBEAT_MS: '1000', INSTANCE_EXPIRY_MS: '1500' })).toThrow(
      /INSTANCE_EXPIRY_MS must be at least twice INSTANCE_HEARTBEAT_MS/,
    );
  });

  it('gives running turns 10 s at shutdown and serves no /metrics unless METRICS_TOKEN is set', () => {
    expect(loadConfig({}).shutdown).toEqual({ graceMs: 10_000 });
    expect(loadConfig({}).metrics).toEqual({ token: undefined });
    expect(loadConfig({ METRICS_TOKEN: ' scrape-me ', SHUTDOWN_GRACE_MS: '0' })).toMatchObject({
      metrics: { token: 'scrape-me' },
      shutdown: { graceMs: 0 },
    });
    expect(() => loadConfig({ SHUTDOWN_GRACE_MS: '10s' })).toThrow(
      /SHUTDOWN_GRACE_MS must be a whole number/,
    );
    // Out of range, the setting and its bound: not "a whole number" for a negative one.
    expect(() => loadConfig({ HISTORY_CACHE_CHARS: '-5' })).toThrow(/HISTORY_CACHE_CHARS must be at least 0/);
    expect(() => loadConfig({ SHUTDOWN_GRACE_MS: '-1' })).toThrow(/SHUTDOWN_GRACE_MS must be at least 0/);
  });

  it('keeps idle connections 65 s, longer than a proxy idle timeout of 60 s, unless told otherwise', () => {
    expect(loadConfig({}).server.keepAliveTimeoutMs).toBe(65_000);
    expect(loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '125000' }).server.keepAliveTimeoutMs).toBe(125_000);
    expect(() => loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '500' })).toThrow(/HTTP_KEEP_ALIVE_TIMEOUT_MS/);
  });

  it('selects PostgreSQL for a postgres:// or postgresql:// DATABASE_URL, with an explicit encryption key', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    for (const url of ['postgres://agent:pw@db:5432/agent', 'postgresql://db/agent']) {
      const config = loadConfig({ DATABASE_URL: url, TOKEN_ENCRYPTION_KEY: key, DATABASE_POOL_SIZE: '4' });
      expect(config.databaseDialect).toBe('postgres');
      expect(config.postgres).toEqual({ url, poolSize: 4 });
    }
    expect(loadConfig({}).databaseDialect).toBe('sqlite');
    expect(loadConfig({}).postgres).toBeUndefined();
  });

  it('refuses PostgreSQL without TOKEN_ENCRYPTION_KEY, and other database URLs, naming the problem', () => {
    // A key generated per instance would let each instance open only the tokens it sealed itself.
    expect(() => loadConfig({ DATABASE_URL: 'postgres://agent:secret-pw@db/agent' })).toThrow(
      /TOKEN_ENCRYPTION_KEY: required with PostgreSQL/,
    );
    expect(() => loadConfig({ DATABASE_URL: 'postgres://agent:secret-pw@db/agent' })).not.toThrow(
      /secret-pw/,
    );
    expect(() => loadConfig({ DATABASE_URL: 'mysql://db/agent' })).toThrow(
      /SQLite file path or a postgres:\/\/ \/ postgresql:\/\/ URL/,
    );
  });
});

describe('sandbox mode', () => {
  it('talks to the sandbox over loopback and sends browsers to it on the public host', () => {
    const config = pointAtSandbox(
      loadConfig({ PUBLIC_URL: 'http://agent.lan:8080', HOST: '0.0.0.0' }),
      'http://127.0.0.1:8090',
    );
    expect(config.wps).toMatchObject({
      mode: 'sandbox',
      mcpUrl: 'http://127.0.0.1:8090/mcp/v2',
      tokenUrl: 'http://127.0.0.1:8090/oauth2/token',
      authorizeUrl: 'http://agent.lan:8090/oauth2/auth',
      clientId: 'sandbox-client',
    });
  });
});

describe('the token encryption key', () => {
  it('is generated once into the data directory with mode 0600 and reused after', () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'key-')), 'data');
    const first = resolveEncryptionKey({ configured: undefined, dataDir });
    expect(first.generated).toBe(true);
    expect(first.key).toHaveLength(32);
    expect(statSync(path.join(dataDir, ENCRYPTION_KEY_FILE)).mode & 0o777).toBe(0o600);
    const second = resolveEncryptionKey({ configured: undefined, dataDir });
    expect(second).toEqual({ key: first.key, generated: false });
    const configured = Buffer.alloc(32, 1);
    expect(resolveEncryptionKey({ configured, dataDir }).key).toEqual(configured);
  });
});
