/** The MCP servers the sandbox serves, each guarded by exactly one WPS scope (wps-facts.md). */
export const SERVER_SCOPES = {
  'kso-yundoc': 'kso.mcp_yundoc.readwrite',
  'kso-airpage': 'kso.mcp_airpage.readwrite',
  'kso-dbsheet': 'kso.mcp_dbsheet.readwrite',
} as const;

export type SandboxServerName = keyof typeof SERVER_SCOPES;

export const SERVER_NAMES = Object.keys(SERVER_SCOPES) as SandboxServerName[];

/** Every MCP 2.0 scope WPS documents; the sandbox accepts all of them at authorize time. */
export const KNOWN_SCOPES: readonly string[] = [
  'kso.mcp_yundoc.readwrite',
  'kso.mcp_airpage.readwrite',
  'kso.mcp_dbsheet.readwrite',
  'kso.mcp_calendar.readwrite',
  'kso.mcp_todo.readwrite',
  'kso.mcp_mail.readwrite',
  'kso.mcp_meeting.readwrite',
  'kso.mcp_message.readwrite',
  'kso.mcp_scenario.readwrite',
];

export function isSandboxServerName(name: string): name is SandboxServerName {
  return Object.hasOwn(SERVER_SCOPES, name);
}

/**
 * Parses a WPS `scope` parameter. WPS joins scopes with commas and rejects a space-joined list, so any
 * whitespace, an empty entry or an unknown scope makes the whole parameter invalid.
 */
export function parseScopeParameter(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw === '' || /\s/.test(raw)) return undefined;
  const scopes = raw.split(',');
  if (scopes.some((scope) => !KNOWN_SCOPES.includes(scope))) return undefined;
  return [...new Set(scopes)];
}
