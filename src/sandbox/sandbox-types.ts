import type { Logger } from 'pino';
import type { Clock } from '../shared/clock.js';
import type { FaultMode, FaultTarget } from './controls/fault-injector.js';
import type { RequestCounts } from './controls/request-counter.js';
import type { SandboxClient } from './oauth/client-registry.js';
import type { SandboxDbsheet, SandboxDocument } from './store/store-types.js';

export interface WpsSandboxOptions {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: one client `sandbox-client` / `sandbox-secret` (see DEFAULT_SANDBOX_CLIENT). */
  clients?: SandboxClient[];
  /** Accept any http://localhost:*, http://127.0.0.1:* or http://[::1]:* redirect_uri for every client. */
  allowLoopbackRedirects?: boolean;
  /** Account name: GET /oauth2/auth skips the consent page and redirects at once with a code. */
  autoApprove?: string;
  /** Serve RFC 8414 / RFC 9728 metadata and point MCP 401s at it. Default false, as WPS may serve none. */
  discovery?: boolean;
  /** Default 7200. */
  accessTokenTtlSeconds?: number;
  /** Default 365 days. */
  refreshTokenTtlSeconds?: number;
  /** HTTP status of token-endpoint errors. Default 400; 200 mimics WPS answering errors with a non-zero code. */
  tokenErrorHttpStatus?: number;
  /** Both default true. */
  transports?: { streamableHttp?: boolean; sse?: boolean };
  clock?: Clock;
  /**
   * A JSON file to keep the sandbox's tokens, documents and tables in across restarts (written after each
   * request that changed them). Default: none, everything lives in memory (what tests want).
   */
  statePath?: string;
  /** Default silent. */
  logger?: Logger;
}

export interface WpsSandbox {
  /** e.g. http://127.0.0.1:54321, no trailing slash. */
  url: string;
  /** `${url}/mcp/v2`; a server lives at `${mcpBaseUrl}/{server}/message`. */
  mcpBaseUrl: string;
  authorizeUrl: string;
  tokenUrl: string;
  accounts: string[];
  /** Closes promptly even with hanging requests and open SSE streams (their sockets are destroyed). */
  close(): Promise<void>;
  /** Every access token, refresh token and code of the account stops working; new authorizations work. */
  revokeAccount(account: string): void;
  /** The next `count` token requests (or MCP POSTs) answer 500, or never answer until close. */
  failNext(target: FaultTarget, count: number, mode?: FaultMode): void;
  requestCounts(): RequestCounts;
  resetCounts(): void;
  /** Every access token, refresh token and authorization code ever issued, for leak checks. */
  issuedTokens(): string[];
  /** Tokens without the browser flow; scopes default to every known scope. */
  issueTokens(
    account: string,
    scopes?: string[],
  ): { access_token: string; refresh_token: string; expires_in: number };
  /** Forgets and closes every MCP session, like a restart: old session ids get 404. */
  dropMcpSessions(): void;
  /** Changes tools/list for new and open sessions; open ones get notifications/tools/list_changed. */
  setToolEnabled(server: string, tool: string, enabled: boolean): void;
  /** Snapshot (deep copy) of the account's documents. */
  documents(account: string): SandboxDocument[];
  /** Snapshot (deep copy) of the account's multi-dimensional tables. */
  tables(account: string): SandboxDbsheet[];
}
