import { createHash } from 'node:crypto';

/** What every provider accepts as a function name: OpenAI's rule, the strictest common one. */
const MAX_LENGTH = 64;
const UNSAFE = /[^a-zA-Z0-9_-]/g;

export interface ToolAlias {
  safeName: string;
  name: string;
  server: string;
}

/**
 * Gives each (server, tool) a provider-safe, unique function name and remembers the way back. WPS's names
 * are already safe and unique (`kso_yundoc_…`), so they usually pass unchanged; other servers' names
 * (dots, slashes, CJK, length) get cleaned, and a collision gets a short stable hash suffix.
 */
export function createToolAliases(tools: ReadonlyArray<{ name: string; server: string }>): {
  aliases: ToolAlias[];
  resolve(safeName: string): ToolAlias | undefined;
} {
  const bySafeName = new Map<string, ToolAlias>();
  const aliases: ToolAlias[] = [];
  for (const tool of tools) {
    let safeName = clean(tool.name);
    if (bySafeName.has(safeName)) safeName = withSuffix(safeName, `${tool.server}/${tool.name}`);
    for (let attempt = 1; bySafeName.has(safeName); attempt++) {
      safeName = withSuffix(clean(tool.name), `${tool.server}/${tool.name}#${attempt}`);
    }
    const alias = { safeName, name: tool.name, server: tool.server };
    bySafeName.set(safeName, alias);
    aliases.push(alias);
  }
  return { aliases, resolve: (safeName) => bySafeName.get(safeName) };
}

function clean(name: string): string {
  const cleaned = name
    .replace(UNSAFE, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  return (cleaned || 'tool').slice(0, MAX_LENGTH);
}

function withSuffix(base: string, seed: string): string {
  const suffix = `_${createHash('sha256').update(seed).digest('hex').slice(0, 6)}`;
  return `${base.slice(0, MAX_LENGTH - suffix.length)}${suffix}`;
}
