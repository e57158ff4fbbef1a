import type { createWpsSandbox } from '../src/sandbox/index.js';
import type { BenchResults } from './report.js';

/** The sandbox's requests other than `tools/call` over the measured turns: what a turn costs WPS beyond its tools. */
export function upstreamBeyondToolCalls(
  counts: ReturnType<Awaited<ReturnType<typeof createWpsSandbox>>['requestCounts']>,
  turns: number,
): BenchResults['upstream'] {
  const extra: Record<string, number> = {};
  let toolCalls = 0;
  const add = (key: string, value: number) => {
    if (value > 0) extra[key] = (extra[key] ?? 0) + value;
  };
  add('oauth authorize', counts.authorize);
  for (const [grant, value] of Object.entries(counts.token)) add(`token ${grant}`, value);
  for (const [server, methods] of Object.entries(counts.mcp)) {
    for (const [method, value] of Object.entries(methods)) {
      if (method === 'tools/call') toolCalls += value;
      else add(`${server} ${method}`, value);
    }
  }
  const extraTotal = Object.values(extra).reduce((sum, value) => sum + value, 0);
  return { turns, toolCalls, extra, extraPerTurn: extraTotal / Math.max(1, turns) };
}
