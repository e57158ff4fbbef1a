import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { systemClock } from '../shared/clock.js';
import { createSandboxApp } from './app.js';
import { createFaultInjector } from './controls/fault-injector.js';
import { createRequestCounter } from './controls/request-counter.js';
import { createSessionRegistry } from './mcp/session-registry.js';
import { createClientRegistry, type SandboxClient } from './oauth/client-registry.js';
import { createTokenStore } from './oauth/token-store.js';
import type { WpsSandbox, WpsSandboxOptions } from './sandbox-types.js';
import { isSandboxServerName, KNOWN_SCOPES, type SandboxServerName, SERVER_NAMES } from './scopes.js';
import { createSandboxStateWriter, readSandboxState } from './store/sandbox-state-file.js';
import { createSandboxStore } from './store/sandbox-store.js';
import { toolNamesOf } from './tools/mcp-server-factory.js';

/** The client `createWpsSandbox` registers when given none. Its redirect URI is only a placeholder. */
export const DEFAULT_SANDBOX_CLIENT: SandboxClient = {
  clientId: 'sandbox-client',
  clientSecret: 'sandbox-secret',
  redirectUris: ['http://127.0.0.1:3000/oauth/callback'],
};

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Starts a local stand-in for WPS's OAuth service and MCP servers (kso-yundoc, kso-airpage, kso-dbsheet). */
export async function createWpsSandbox(options: WpsSandboxOptions = {}): Promise<WpsSandbox> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ level: 'silent' });
  const host = options.host ?? '127.0.0.1';
  const saved = options.statePath ? readSandboxState(options.statePath) : undefined;
  const store = createSandboxStore({ clock, restore: saved?.store });
  const accounts = store.accountNames();
  if (options.autoApprove !== undefined && !accounts.includes(options.autoApprove)) {
    throw new Error(`autoApprove: unknown account ${options.autoApprove}`);
  }
  const clients = createClientRegistry({
    clients: options.clients ?? [DEFAULT_SANDBOX_CLIENT],
    allowLoopbackRedirects: options.allowLoopbackRedirects ?? false,
  });

  const httpServer = createServer();
  const address = await listen(httpServer, options.port ?? 0, host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;

  const tokens = createTokenStore({
    clock,
    issuer: url,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 7200,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? 365 * 24 * 3600,
    restore: saved?.tokens,
  });
  const stateWriter = options.statePath ? createSandboxStateWriter(options.statePath) : undefined;
  const persist = () => {
    try {
      stateWriter?.write({ store: store.snapshot(), tokens: tokens.snapshot() });
    } catch (error) {
      logger.error({ err: error, statePath: options.statePath }, 'saving the sandbox state failed');
    }
  };
  const counter = createRequestCounter();
  const faults = createFaultInjector();
  const sessions = createSessionRegistry({
    onCloseError: (error) => logger.warn({ err: error }, 'closing an MCP session failed'),
  });
  const disabledTools = new Map<SandboxServerName, Set<string>>(
    SERVER_NAMES.map((name) => [name, new Set()]),
  );
  const toolNames = new Map(
    SERVER_NAMES.map((name) => [name, toolNamesOf(name, { store, clock, account: accounts[0] ?? '' })]),
  );

  const app = createSandboxApp({
    baseUrl: url,
    discovery: options.discovery ?? false,
    logger,
    authorize: {
      clients,
      tokens,
      accounts,
      autoApprove: options.autoApprove,
      onAuthorizeRequest: () => counter.countAuthorize(),
    },
    token: {
      clients,
      tokens,
      faults,
      errorStatus: options.tokenErrorHttpStatus ?? 400,
      onTokenRequest: (grantType) => counter.countToken(grantType),
    },
    mcp: {
      baseUrl: url,
      discovery: options.discovery ?? false,
      transports: {
        streamableHttp: options.transports?.streamableHttp ?? true,
        sse: options.transports?.sse ?? true,
      },
      tokens,
      sessions,
      store,
      clock,
      counter,
      faults,
      disabledTools: (serverName) => disabledTools.get(serverName) ?? new Set(),
      logger,
    },
  });
  httpServer.on('request', (request, response) => {
    // Tool calls change documents and tables in place, token requests change tokens: save after each.
    if (stateWriter) response.once('close', persist);
    app(request, response);
  });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await sessions.closeAll();
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      // Hanging requests and open SSE streams would keep close() waiting forever.
      httpServer.closeAllConnections();
      await closed;
      persist();
    })();
    return closing;
  };

  const filesOf = (account: string) => {
    const files = store.files(account);
    if (!files) throw new Error(`unknown sandbox account ${account}`);
    return files;
  };

  return {
    url,
    mcpBaseUrl: `${url}/mcp/v2`,
    authorizeUrl: `${url}/oauth2/auth`,
    tokenUrl: `${url}/oauth2/token`,
    accounts,
    close,
    revokeAccount: (account) => {
      tokens.revokeAccount(account);
      persist();
    },
    failNext: (target, count, mode) => faults.failNext(target, count, mode),
    requestCounts: () => counter.snapshot(),
    resetCounts: () => counter.reset(),
    issuedTokens: () => tokens.issued(),
    issueTokens: (account, scopes = [...KNOWN_SCOPES]) => {
      filesOf(account);
      const issued = tokens.issueTokens({ account, clientId: clients.first().clientId, scopes });
      persist();
      return {
        access_token: issued.access_token,
        refresh_token: issued.refresh_token,
        expires_in: issued.expires_in,
      };
    },
    dropMcpSessions: () => {
      void sessions.closeAll();
    },
    setToolEnabled: (server, tool, enabled) => {
      if (!isSandboxServerName(server)) throw new Error(`unknown sandbox MCP server ${server}`);
      if (!toolNames.get(server)?.includes(tool)) throw new Error(`unknown tool ${tool} on ${server}`);
      const disabled = disabledTools.get(server);
      if (enabled) disabled?.delete(tool);
      else disabled?.add(tool);
      for (const session of sessions.all()) {
        const registered = session.serverName === server ? session.tools.get(tool) : undefined;
        if (!registered) continue;
        // Set the flag directly rather than enable()/disable(): those notify without catching a closed stream.
        registered.enabled = enabled;
        session.mcp.server
          .sendToolListChanged()
          .catch((error: unknown) => logger.debug({ err: error }, 'list_changed not delivered'));
      }
    },
    documents: (account) => structuredClone(filesOf(account).documents),
    tables: (account) => structuredClone(filesOf(account).tables),
  };
}
