import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { SandboxServerName } from '../scopes.js';
import { registerAirpageTools } from './airpage-tools.js';
import { registerDbsheetTools } from './dbsheet-tools.js';
import type { ToolContext } from './tool-context.js';
import { registerYundocTools } from './yundoc-tools.js';

const REGISTRARS = {
  'kso-yundoc': registerYundocTools,
  'kso-airpage': registerAirpageTools,
  'kso-dbsheet': registerDbsheetTools,
} as const;

export interface SessionServer {
  mcp: McpServer;
  /** The session's tools by name, so the sandbox can enable and disable them while it is open. */
  tools: Map<string, RegisteredTool>;
}

/** One McpServer per MCP session, its tools bound to the session's account. */
export function createSessionServer(options: {
  serverName: SandboxServerName;
  context: ToolContext;
  disabledTools: ReadonlySet<string>;
}): SessionServer {
  const mcp = new McpServer({ name: options.serverName, version: '2.0.0-sandbox' });
  const tools = REGISTRARS[options.serverName](mcp, options.context);
  for (const [name, tool] of tools) {
    // Not connected yet, so this sends no list_changed notification.
    if (options.disabledTools.has(name)) tool.disable();
  }
  return { mcp, tools };
}

/** Tool names per server without building a server, to validate `setToolEnabled`. */
export function toolNamesOf(serverName: SandboxServerName, context: ToolContext): string[] {
  return [...createSessionServer({ serverName, context, disabledTools: new Set() }).tools.keys()];
}
