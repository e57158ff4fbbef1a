import { performance } from 'node:perf_hooks';
import { cookiesOf, passConsent } from '../test/support/agent-harness.js';
import type { AgentProcessOptions } from './agent-process.js';
import { type TimedModel, turnTag } from './model-timing.js';

export interface BenchUser {
  id: string;
  apiKey: string;
}

/** One measured turn, all in ms. */
export interface TurnMeasure {
  wallMs: number;
  modelMs: number;
  modelRequests: number;
  toolMs: number;
  toolCalls: number;
  /** wall − model − tool: what the code between the client and the upstreams costs. */
  overheadMs: number;
  /** Characters the model was sent over the turn's requests: the same for agent and baseline, or not comparable. */
  modelRequestChars: number;
}

/** What the parent passes to `start`: the sandbox's URLs (it stays in the parent) and the model's. */
export function agentStartOptions(
  sandbox: AgentProcessOptions['sandbox'],
  modelBaseUrl: string,
  env?: Record<string, string>,
): AgentProcessOptions {
  const { url, mcpBaseUrl, authorizeUrl, tokenUrl, accounts } = sandbox;
  return { modelBaseUrl, sandbox: { url, mcpBaseUrl, authorizeUrl, tokenUrl, accounts }, env };
}

/** Runs `work` over `items` with at most `width` in flight. */
export async function inBatches<T>(
  items: T[],
  width: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index] as T, index);
      }
    }),
  );
}

async function callAgent(agentUrl: string, apiKey: string, method: string, route: string, body?: unknown) {
  const response = await fetch(`${agentUrl}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as any) : undefined;
}

/** The browser flow of the harness's connectWps, from outside the agent's process. */
export async function connectWps(agentUrl: string, user: BenchUser, account: string): Promise<void> {
  // As the console's browser: the binding cookie set by the authorize answer goes back to /callback.
  const started = await fetch(`${agentUrl}/v1/wps/authorize`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.apiKey}` },
  });
  if (!started.ok) throw new Error(`POST /v1/wps/authorize answered ${started.status}`);
  const { authorizeUrl } = (await started.json()) as { authorizeUrl: string };
  const callbackUrl = await passConsent(authorizeUrl, account, 'approve');
  const callback = await fetch(callbackUrl, { headers: { cookie: cookiesOf(started) } });
  await callback.text();
  if (callback.status !== 200) throw new Error(`WPS callback answered ${callback.status}`);
}

/** Lists the user's tools: opens the user's MCP connection to every configured server. */
export async function openToolConnections(agentUrl: string, user: BenchUser): Promise<number> {
  const listed = await callAgent(agentUrl, user.apiKey, 'GET', '/v1/tools');
  return Array.isArray(listed?.tools) ? listed.tools.length : 0;
}

/** The sandbox accounts users are connected to, in turn. */
const ACCOUNTS = ['alice', 'bob', 'carol'];
/** Parallel connects: each is five HTTP requests and a token exchange; more only queues. */
const CONNECT_WIDTH = 25;

/**
 * Connects every user to WPS (sandbox accounts alice, bob, carol in turn), then opens each one's MCP
 * connections, CONNECT_WIDTH at a time. How many tools a user's catalogue holds.
 */
export async function connectUsers(agentUrl: string, users: BenchUser[]): Promise<number> {
  await inBatches(users, CONNECT_WIDTH, (user, index) =>
    connectWps(agentUrl, user, ACCOUNTS[index % ACCOUNTS.length] ?? 'alice'),
  );
  let toolsPerUser = 0;
  await inBatches(users, CONNECT_WIDTH, async (user) => {
    toolsPerUser = await openToolConnections(agentUrl, user);
  });
  return toolsPerUser;
}

/**
 * Closed loop: each user sends a turn, waits for the answer, sends the next, `turnsEach` times. Starts
 * are spread over `staggerMs` so the users do not move in lockstep.
 */
export async function runAgentTurns(options: {
  agentUrl: string;
  users: BenchUser[];
  turnsEach: number;
  timedModel: TimedModel;
  prefix: string;
  staggerMs: number;
}): Promise<{ turns: TurnMeasure[]; elapsedMs: number; failures: string[] }> {
  const turns: TurnMeasure[] = [];
  const failures: string[] = [];
  const phaseStarted = performance.now();
  await Promise.all(
    options.users.map(async (user, worker) => {
      await new Promise((resolve) =>
        setTimeout(resolve, (worker / options.users.length) * options.staggerMs),
      );
      for (let index = 0; index < options.turnsEach; index++) {
        const id = `${options.prefix}-${worker}-${index}`;
        const started = performance.now();
        try {
          const reply = await callAgent(options.agentUrl, user.apiKey, 'POST', '/v1/chat', {
            message: `Find my Q3 plan. ${turnTag(id)}`,
          });
          const wallMs = performance.now() - started;
          const toolCalls: Array<{ durationMs: number; status: string }> = reply.toolCalls ?? [];
          if (toolCalls.length !== 1 || toolCalls[0]?.status !== 'ok')
            failures.push(`${id}: tool calls ${JSON.stringify(toolCalls.map((call) => call.status))}`);
          const toolMs = toolCalls.reduce((sum, call) => sum + call.durationMs, 0);
          const model = options.timedModel.takeTurn(id);
          turns.push({
            wallMs,
            modelMs: model.modelMs,
            modelRequests: model.requests,
            toolMs,
            toolCalls: toolCalls.length,
            overheadMs: wallMs - model.modelMs - toolMs,
            modelRequestChars: model.requestChars,
          });
        } catch (error: unknown) {
          options.timedModel.takeTurn(id);
          failures.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }),
  );
  return { turns, elapsedMs: performance.now() - phaseStarted, failures };
}
