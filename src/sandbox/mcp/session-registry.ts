import type { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { SandboxServerName } from '../scopes.js';
import type { SessionServer } from '../tools/mcp-server-factory.js';

interface SessionBase extends SessionServer {
  id: string;
  serverName: SandboxServerName;
  /** The account whose token opened the session; other accounts' tokens are refused on it. */
  account: string;
}

export type McpSession =
  | (SessionBase & { kind: 'streamable'; transport: StreamableHTTPServerTransport })
  | (SessionBase & { kind: 'sse'; transport: SSEServerTransport });

export interface SessionRegistry {
  add(session: McpSession): void;
  get(id: string): McpSession | undefined;
  remove(id: string): void;
  all(): McpSession[];
  /** Forgets and closes every session, like a server restart. */
  closeAll(): Promise<void>;
}

export function createSessionRegistry(options: { onCloseError(error: unknown): void }): SessionRegistry {
  const sessions = new Map<string, McpSession>();
  return {
    add: (session) => {
      sessions.set(session.id, session);
    },
    get: (id) => sessions.get(id),
    remove: (id) => {
      sessions.delete(id);
    },
    all: () => [...sessions.values()],
    closeAll: async () => {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.all(
        open.map((session) => session.mcp.close().catch((error: unknown) => options.onCloseError(error))),
      );
    },
  };
}
