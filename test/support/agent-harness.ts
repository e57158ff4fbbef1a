import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { AppDatabase } from '../../src/db/database.js';
import { openConfiguredDatabase } from '../../src/db/open-database.js';
import type { AnyDatabase } from '../../src/db/repositories.js';
import { applyServerTimeouts } from '../../src/http/http-server.js';
import { createWpsSandbox, type WpsSandbox, type WpsSandboxOptions } from '../../src/sandbox/index.js';
import { createServices, type Services } from '../../src/services.js';
import { type Clock, systemClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';

export interface AgentHarnessOptions {
  /** Options for a sandbox the harness creates; ignored when `sandbox` is given. */
  sandboxOptions?: WpsSandboxOptions;
  /** Reuse a running sandbox (it must accept this agent's redirect URI, e.g. allowLoopbackRedirects). */
  sandbox?: WpsSandbox;
  /** Extra environment variables, as a deployment would set them. */
  env?: Record<string, string>;
  clock?: Clock;
  /** Share one database file between harnesses (two processes on one database). */
  dataDir?: string;
  /** Serve a built web console at `/`. */
  consoleDistDir?: string;
}

export interface AgentHarness {
  url: string;
  sandbox: WpsSandbox;
  services: Services;
  /** The database, whichever dialect (`env.DATABASE_URL=postgres://…` runs the harness on PostgreSQL). */
  database: AnyDatabase;
  /** SQLite only (throws on PostgreSQL): for tests that look at or break the file directly. */
  db: AppDatabase;
  dataDir: string;
  /** Every log line the agent wrote. */
  logs: string[];
  createUser(name: string): Promise<{ id: string; apiKey: string }>;
  /** Calls the agent's API with a key; parses JSON answers. */
  api(
    apiKey: string,
    method: string,
    route: string,
    body?: unknown,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /**
   * Starts an authorization as the console does; `cookie` is the binding cookie (a `Cookie` header value)
   * that the console's browser would send back to `/callback`.
   */
  startAuthorization(apiKey: string): Promise<{ authorizeUrl: string; cookie: string }>;
  /**
   * Runs the whole browser flow as the console's browser does: authorize URL (keeping its binding cookie)
   * → sandbox consent → callback with the cookie. Returns the callback answer.
   */
  connectWps(
    apiKey: string,
    account: string,
    decision?: 'approve' | 'deny',
  ): Promise<{ status: number; html: string }>;
  close(): Promise<void>;
}

/**
 * A real agent server on port 0 in front of a real WPS sandbox on port 0, with its own temporary data
 * directory: what integration tests talk to over HTTP.
 */
export async function startAgentHarness(options: AgentHarnessOptions = {}): Promise<AgentHarness> {
  const httpServer: Server = createServer();
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const ownsSandbox = !options.sandbox;
  const sandbox =
    options.sandbox ??
    (await createWpsSandbox({
      clients: [
        { clientId: 'agent-test', clientSecret: 'agent-test-secret', redirectUris: [`${url}/callback`] },
      ],
      ...options.sandboxOptions,
    }));
  const ownsDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'wps-agent-test-'));
  const config = loadConfig({
    PORT: String(port),
    PUBLIC_URL: url,
    DATA_DIR: dataDir,
    WPS_APP_ID: ownsSandbox ? 'agent-test' : 'sandbox-client',
    WPS_APP_KEY: ownsSandbox ? 'agent-test-secret' : 'sandbox-secret',
    WPS_MCP_URL: sandbox.mcpBaseUrl,
    WPS_OAUTH_AUTHORIZE_URL: sandbox.authorizeUrl,
    WPS_OAUTH_TOKEN_URL: sandbox.tokenUrl,
    TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    LOG_LEVEL: 'debug',
    ...options.env,
  });
  const logs: string[] = [];
  const logger = createLogger({
    level: config.logLevel,
    destination: { write: (line: string) => logs.push(line) },
  });
  const opened = await openConfiguredDatabase(config, logger);
  const sqlite = opened.database.dialect === 'sqlite' ? opened.database.db : undefined;
  const services = createServices({
    config,
    database: opened.database,
    notifications: opened.notifications,
    clock: options.clock ?? systemClock,
    fetch: globalThis.fetch,
    logger,
    encryptionKey: config.tokenEncryptionKey ?? Buffer.alloc(32, 7),
    previousEncryptionKeys: config.previousTokenEncryptionKeys,
  });
  // Like main.ts: a heartbeat row, so processes sharing this database see this one as alive.
  await services.start();
  applyServerTimeouts(httpServer, config.server);
  httpServer.on('request', createApp(services, { consoleDistDir: options.consoleDistDir }));

  const api: AgentHarness['api'] = async (apiKey, method, route, body) => {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (a 204, an HTML page): the raw text is the body.
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };

  const startAuthorization: AgentHarness['startAuthorization'] = async (apiKey) => {
    const started = await fetch(`${url}/v1/wps/authorize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const body = (await started.json()) as { authorizeUrl: string };
    if (started.status !== 200)
      throw new Error(`authorize failed: ${started.status} ${JSON.stringify(body)}`);
    return { authorizeUrl: body.authorizeUrl, cookie: cookiesOf(started) };
  };

  return {
    url,
    sandbox,
    services,
    database: opened.database,
    get db() {
      if (!sqlite) throw new Error('harness.db is the SQLite database; this harness runs on PostgreSQL');
      return sqlite;
    },
    dataDir,
    logs,
    async createUser(name) {
      const user = await services.usersService.createUser(name);
      return { id: user.id, apiKey: user.apiKey };
    },
    api,
    startAuthorization,
    async connectWps(apiKey, account, decision = 'approve') {
      const { authorizeUrl, cookie } = await startAuthorization(apiKey);
      const callbackUrl = await passConsent(authorizeUrl, account, decision);
      const callback = await fetch(callbackUrl, { headers: { cookie } });
      return { status: callback.status, html: await callback.text() };
    },
    async close() {
      // Every test that uses the harness also proves no WPS token reached the agent's logs.
      const issued = typeof sandbox.issuedTokens === 'function' ? sandbox.issuedTokens() : [];
      const leaked = issued.filter(
        (secret) => secret.length >= 16 && logs.some((line) => line.includes(secret)),
      );
      await services.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      if (ownsSandbox) await sandbox.close();
      await opened.close();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
      if (leaked.length > 0) throw new Error(`${leaked.length} WPS token(s) appeared in the agent's logs`);
    },
  };
}

/** The cookies an answer sets, as the `Cookie` header a browser would send back (name=value only). */
export function cookiesOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0])
    .join('; ');
}

/** Plays the person at WPS's consent page: picks the account, approves or denies; returns the redirect. */
export async function passConsent(
  authorizeUrl: string,
  account: string,
  decision: 'approve' | 'deny',
): Promise<string> {
  const page = await fetch(authorizeUrl, { redirect: 'manual' });
  if (page.status === 302) return page.headers.get('location') ?? '';
  const html = await page.text();
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}: ${html}`);
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(match[1] ?? '', decodeEntities(match[2] ?? ''));
  }
  form.set('account', account);
  form.set('decision', decision);
  const decided = await fetch(new URL('/oauth2/auth/decision', authorizeUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    redirect: 'manual',
  });
  if (decided.status !== 302)
    throw new Error(`consent decision answered ${decided.status}: ${await decided.text()}`);
  return decided.headers.get('location') ?? '';
}

function decodeEntities(value: string): string {
  return value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
