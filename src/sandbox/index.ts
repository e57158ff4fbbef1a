export type { FaultMode, FaultTarget } from './controls/fault-injector.js';
export type { RequestCounts } from './controls/request-counter.js';
export { MCP_ERROR_CODES } from './mcp/mcp-errors.js';
export type { SandboxClient } from './oauth/client-registry.js';
export { OAUTH_ERROR_CODES } from './oauth/oauth-errors.js';
export { createWpsSandbox, DEFAULT_SANDBOX_CLIENT } from './sandbox.js';
export type { WpsSandbox, WpsSandboxOptions } from './sandbox-types.js';
export { KNOWN_SCOPES, type SandboxServerName, SERVER_NAMES, SERVER_SCOPES } from './scopes.js';
export { removeSandboxState, SANDBOX_STATE_FILE } from './store/sandbox-state-file.js';
export type {
  SandboxComment,
  SandboxDbsheet,
  SandboxDocument,
  SandboxField,
  SandboxRecord,
  SandboxSheet,
} from './store/store-types.js';
export { TOOL_ERROR_CODES } from './tools/tool-result.js';
