import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { TurnUsage } from '../usage/turn-usage.js';

/** How a chat turn ended, as counted: the stored status, or the two answers that are not one. */
export type TurnMetricOutcome = 'complete' | 'awaiting_approval' | 'aborted' | 'error' | 'authorization_lost';
export type TokenRefreshOutcome = 'ok' | 'rejected' | 'failed';

/**
 * What the features report as they work. Each is one small call at a point that already exists (a turn's
 * end, a tool call's finish, a refresh); `noMetrics` lets unit tests and tools leave them out.
 */
export interface AgentMetrics {
  turnEnded(outcome: TurnMetricOutcome, durationMs: number): void;
  modelUsed(usage: TurnUsage): void;
  toolCallEnded(call: { tool: string; server: string; status: string; durationMs: number }): void;
  tokenRefreshed(outcome: TokenRefreshOutcome): void;
}

export const noMetrics: AgentMetrics = {
  turnEnded: () => undefined,
  modelUsed: () => undefined,
  toolCallEnded: () => undefined,
  tokenRefreshed: () => undefined,
};

/** Turns take seconds to minutes (model steps, WPS calls); tool calls milliseconds to a minute. */
const TURN_BUCKETS_SECONDS = [0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TOOL_CALL_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * This process's Prometheus metrics on a registry of its own (no prom-client global), with Node's default
 * metrics (event-loop lag among them). Gauges read their source at scrape time: pending approvals from
 * the database (so every instance reports the fleet's one number), pool connections from this process.
 */
export function createAgentMetrics(sources: {
  pendingApprovals: () => Promise<number>;
  poolConnections: () => number;
  notificationStreams: () => number;
}): AgentMetrics & { registry: Registry } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const turns = new Counter({
    name: 'wps_agent_turns_total',
    help: 'Chat turns ended, by outcome',
    labelNames: ['outcome'] as const,
    registers,
  });
  const turnDuration = new Histogram({
    name: 'wps_agent_turn_duration_seconds',
    help: 'Chat turn duration from start to stored end, by outcome',
    labelNames: ['outcome'] as const,
    buckets: TURN_BUCKETS_SECONDS,
    registers,
  });
  const modelRequests = new Counter({
    name: 'wps_agent_model_requests_total',
    help: 'Model responses received (one per finished step of a chat turn)',
    registers,
  });
  const modelTokens = new Counter({
    name: 'wps_agent_model_tokens_total',
    help: 'Model tokens used by chat turns, by type (input or output), as the model endpoint reported them',
    labelNames: ['type'] as const,
    registers,
  });
  const toolCalls = new Counter({
    name: 'wps_agent_tool_calls_total',
    help: 'WPS tool calls ended, by tool, server and outcome (ok, error, timeout, aborted)',
    labelNames: ['tool', 'server', 'outcome'] as const,
    registers,
  });
  const toolCallDuration = new Histogram({
    name: 'wps_agent_tool_call_duration_seconds',
    help: 'WPS tool call duration, by tool, server and outcome',
    labelNames: ['tool', 'server', 'outcome'] as const,
    buckets: TOOL_CALL_BUCKETS_SECONDS,
    registers,
  });
  const tokenRefreshes = new Counter({
    name: 'wps_agent_token_refreshes_total',
    help: 'WPS token refreshes this process asked WPS for, by outcome (ok, rejected, failed)',
    labelNames: ['outcome'] as const,
    registers,
  });
  new Gauge({
    name: 'wps_agent_pending_approvals',
    help: 'Write calls waiting for an approval (unexpired), across every instance on the database',
    registers,
    // prom-client awaits an async collect; a database that cannot answer leaves the last value.
    async collect() {
      this.set(await sources.pendingApprovals());
    },
  });
  new Gauge({
    name: 'wps_agent_mcp_pool_connections',
    help: 'Pooled MCP connections (one per user and WPS server) open in this process',
    registers,
    collect() {
      this.set(sources.poolConnections());
    },
  });
  new Gauge({
    name: 'wps_agent_mcp_notification_streams',
    help: 'WPS servers whose tool-list announcements this process listens to (one session each)',
    registers,
    collect() {
      this.set(sources.notificationStreams());
    },
  });

  return {
    registry,
    turnEnded(outcome, durationMs) {
      turns.inc({ outcome });
      turnDuration.observe({ outcome }, durationMs / 1000);
    },
    modelUsed(usage) {
      modelRequests.inc(usage.modelRequests);
      modelTokens.inc({ type: 'input' }, usage.inputTokens);
      modelTokens.inc({ type: 'output' }, usage.outputTokens);
    },
    toolCallEnded(call) {
      const labels = { tool: call.tool, server: call.server, outcome: call.status };
      toolCalls.inc(labels);
      toolCallDuration.observe(labels, call.durationMs / 1000);
    },
    tokenRefreshed(outcome) {
      tokenRefreshes.inc({ outcome });
    },
  };
}
