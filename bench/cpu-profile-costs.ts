/**
 * Reads a `--cpu-prof` profile of the agent and charges its samples, inside the measured window that
 * bench/turn-cpu.ts prints, to the HTTP layer's per-request costs (issue 12): µs of CPU per turn, each
 * sample counted once per group it has on its stack (so a group includes what it calls, up to the router:
 * a middleware's synchronous next() is not charged to it).
 *
 *   npx tsx bench/cpu-profile-costs.ts <file.cpuprofile> '<window JSON>'
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** What the table names, by where its code lives. */
const GROUPS: Array<{ name: string; matches: (frame: ProfileNode['callFrame']) => boolean }> = [
  { name: 'ETag (express → etag)', matches: (f) => f.url.includes('/node_modules/etag/') },
  {
    name: 'res.json',
    matches: (f) => f.url.includes('/express/lib/response.js') && f.functionName === 'json',
  },
  { name: 'express-rate-limit', matches: (f) => f.url.includes('/express-rate-limit/') },
  {
    name: 'request log (src/http/request-log.ts)',
    matches: (f) => f.url.includes('src/http/request-log.ts'),
  },
  { name: 'pino (all lines)', matches: (f) => f.url.includes('/node_modules/pino/') },
  {
    name: 'redaction (fast-redact / @pinojs/redact)',
    matches: (f) => /\/(fast-redact|@pinojs\/redact)\//.test(f.url),
  },
  {
    name: 'API-key auth (src/http/api-key-auth.ts)',
    matches: (f) => f.url.includes('src/http/api-key-auth.ts'),
  },
  { name: 'ids (src/shared/ids.ts)', matches: (f) => f.url.includes('src/shared/ids.ts') },
  // The transcript writes and the history load (issue 12, "transcript writes").
  ...['beginTurn', 'updateMessage', 'appendStep', 'endTurn', 'listMessages', 'listRecentMessages'].map(
    (method) => ({
      name: `conversations.${method}`,
      matches: (f: ProfileNode['callFrame']) =>
        f.url.includes('src/transcripts/conversations.repository.ts') && f.functionName === method,
    }),
  ),
  {
    name: 'history load (src/agent/conversation-history.ts)',
    matches: (f) => f.url.includes('src/agent/conversation-history.ts'),
  },
  {
    name: 'tool-calls repository',
    matches: (f) => f.url.includes('src/transcripts/tool-calls.repository.ts'),
  },
  { name: 'drizzle-orm (all)', matches: (f) => f.url.includes('/node_modules/drizzle-orm/') },
  {
    name: 'statement preparation (better-sqlite3 prepare)',
    matches: (f) => f.functionName === 'prepare' && f.url.includes('/better-sqlite3/lib/methods/wrappers.js'),
  },
];

const [file, windowJson] = process.argv.slice(2);
if (!file || !windowJson) throw new Error('usage: cpu-profile-costs <file.cpuprofile> <window JSON>');
const window = JSON.parse(windowJson) as { startUs: number; endUs: number; turns: number };
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

const charged = new Map<string, number>();
let busyUs = 0;
let at = profile.startTime;
for (let index = 0; index < profile.samples.length; index++) {
  at += profile.timeDeltas[index] ?? 0;
  const weight = profile.timeDeltas[index + 1] ?? 0;
  if (at < window.startUs || at > window.endUs) continue;
  const leaf = nodes.get(profile.samples[index] as number);
  if (!leaf || leaf.callFrame.functionName === '(idle)') continue;
  busyUs += weight;
  const seen = new Set<string>();
  for (let current: number | undefined = leaf.id; current !== undefined; current = parentOf.get(current)) {
    const frame = nodes.get(current)?.callFrame;
    if (!frame) continue;
    // A middleware calls next() synchronously: what runs below the router's frames is the next handler's.
    if (frame.url.includes('/node_modules/router/')) break;
    for (const group of GROUPS) if (group.matches(frame)) seen.add(group.name);
  }
  for (const name of seen) charged.set(name, (charged.get(name) ?? 0) + weight);
}

console.log(`${window.turns} turns, busy ${(busyUs / window.turns).toFixed(0)} µs/turn (sampled)`);
for (const group of GROUPS)
  console.log(
    `${((charged.get(group.name) ?? 0) / window.turns).toFixed(0).padStart(6)} µs/turn  ${group.name}`,
  );
