import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/shared/clock.js';
import { type ChatHarness, startChatHarness } from '../support/chat-harness.js';

let harness: ChatHarness;
afterEach(async () => {
  await harness?.close();
});

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

/** `null`: no Authorization header at all. */
const scrape = (token: string | null = METRICS_TOKEN) =>
  fetch(`${harness.agent.url}/metrics`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });

/** The value of one sample of the Prometheus text format, labels matched whatever their order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('does not exist without METRICS_TOKEN', async () => {
    harness = await startChatHarness({ connect: false });
    const response = await scrape();
    expect(response.status).toBe(404);
    expect(((await response.json()) as any).error.code).toBe('not_found');
  });

  it('refuses a missing or wrong bearer token with 401 unauthorized, and never with an API key', async () => {
    harness = await startChatHarness({ connect: false, env: { METRICS_TOKEN } });
    for (const token of [null, 'wrong', `${METRICS_TOKEN}x`, harness.user.apiKey]) {
      const response = await scrape(token);
      expect(response.status).toBe(401);
      const body = (await response.json()) as any;
      expect(body.error.code).toBe('unauthorized');
      expect(JSON.stringify(body)).not.toContain(METRICS_TOKEN);
    }
    const response = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('after a chat turn with a tool call: the turn, its model requests and tokens, the call, the pool and the event loop', async () => {
    harness = await startChatHarness({ env: { METRICS_TOKEN } });
    harness.model.script(
      {
        toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }],
        usage: { inputTokens: 120, outputTokens: 15 },
      },
      { text: 'Found the Q3 plan.', usage: { inputTokens: 300, outputTokens: 25 } },
    );
    const answer = await harness.agent.api(harness.user.apiKey, 'POST', '/v1/chat', { message: 'Find Q3' });
    expect(answer.status).toBe(200);
    expect(answer.body.toolCalls).toHaveLength(1);

    const text = await (await scrape()).text();
    expect(sample(text, 'wps_agent_turns_total', { outcome: 'complete' })).toBe(1);
    expect(sample(text, 'wps_agent_turn_duration_seconds_count', { outcome: 'complete' })).toBe(1);
    expect(sample(text, 'wps_agent_model_requests_total')).toBe(2);
    expect(sample(text, 'wps_agent_model_tokens_total', { type: 'input' })).toBe(420);
    expect(sample(text, 'wps_agent_model_tokens_total', { type: 'output' })).toBe(40);
    const call = { tool: 'kso_yundoc_search_yundoc', server: 'kso-yundoc', outcome: 'ok' };
    expect(sample(text, 'wps_agent_tool_calls_total', call)).toBe(1);
    expect(sample(text, 'wps_agent_tool_call_duration_seconds_count', call)).toBe(1);
    expect(sample(text, 'wps_agent_tool_call_duration_seconds_sum', call)).toBeCloseTo(
      answer.body.toolCalls[0].durationMs / 1000,
      2,
    );
    expect(sample(text, 'wps_agent_pending_approvals')).toBe(0);
    expect(sample(text, 'wps_agent_mcp_pool_connections')).toBeGreaterThanOrEqual(1);
    // One user: each server's only session is the one that listens.
    expect(sample(text, 'wps_agent_mcp_notification_streams')).toBe(
      sample(text, 'wps_agent_mcp_pool_connections'),
    );
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'wps_agent_token_refreshes_total', { outcome: 'ok' })).toBeUndefined();
  });

  it('counts a turn paused for approval and its pending approval, read from the database', async () => {
    harness = await startChatHarness({ env: { METRICS_TOKEN } });
    const document = harness.agent.sandbox.documents('alice').find((item) => item.name.startsWith('Q3'));
    harness.model.script({
      toolCalls: [
        {
          name: 'kso_airpage_import_markdown_data',
          arguments: { file_id: document?.id, markdown_content: `${document?.markdown}\n\n## Risks\n` },
        },
      ],
    });
    const paused = await harness.agent.api(harness.user.apiKey, 'POST', '/v1/chat', { message: 'Add risks' });
    expect(paused.body.status).toBe('awaiting_approval');

    const text = await (await scrape()).text();
    expect(sample(text, 'wps_agent_turns_total', { outcome: 'awaiting_approval' })).toBe(1);
    expect(sample(text, 'wps_agent_pending_approvals')).toBe(1);
  });

  it('counts a WPS token refresh by its outcome', async () => {
    const clock = createManualClock(Date.now());
    harness = await startChatHarness({ clock, env: { METRICS_TOKEN } });
    clock.advance(3 * 3600_000); // past the sandbox token's two hours
    const call = await harness.agent.api(harness.user.apiKey, 'POST', '/v1/tools/call', {
      name: 'kso_yundoc_search_yundoc',
      arguments: { keyword: 'Q3' },
    });
    expect(call.status).toBe(200);

    const text = await (await scrape()).text();
    expect(sample(text, 'wps_agent_token_refreshes_total', { outcome: 'ok' })).toBe(1);
    expect(
      sample(text, 'wps_agent_tool_calls_total', { tool: 'kso_yundoc_search_yundoc', outcome: 'ok' }),
    ).toBe(1);

    // WPS refuses the next refresh token: the user must reconnect.
    harness.agent.sandbox.revokeAccount('alice');
    clock.advance(3 * 3600_000);
    const refused = await harness.agent.api(harness.user.apiKey, 'POST', '/v1/tools/call', {
      name: 'kso_yundoc_search_yundoc',
      arguments: { keyword: 'Q3' },
    });
    expect(refused.status).toBe(409);
    const after = await (await scrape()).text();
    expect(sample(after, 'wps_agent_token_refreshes_total', { outcome: 'rejected' })).toBe(1);
    expect(sample(after, 'wps_agent_token_refreshes_total', { outcome: 'ok' })).toBe(1);
  });
});
