import { afterEach, describe, expect, it } from 'vitest';
import { createWpsSandbox, type WpsSandbox } from '../../src/sandbox/index.js';
import { createManualClock } from '../../src/shared/clock.js';
import { startAgentHarness } from '../support/agent-harness.js';
import { expectNoWpsSecretsLeaked } from '../support/secrets.js';

const TWO_HOURS = 2 * 60 * 60_000;
const search = { name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connectedHarness(options: Parameters<typeof startAgentHarness>[0] = {}) {
  const harness = await startAgentHarness(options);
  cleanups.push(() => harness.close());
  const user = await harness.createUser('ann');
  expect((await harness.connectWps(user.apiKey, 'alice')).status).toBe(200);
  return { harness, user };
}

function withClock() {
  const clock = createManualClock(Date.now());
  return { clock, options: { clock, sandboxOptions: { clock } } };
}

describe('refreshing WPS tokens', () => {
  it('refreshes an expired access token once and the call succeeds', async () => {
    const { clock, options } = withClock();
    const { harness, user } = await connectedHarness(options);
    const responses: unknown[] = [];
    const first = await harness.api(user.apiKey, 'POST', '/v1/tools/call', search);
    responses.push(first.body);
    expect(first.status).toBe(200);
    harness.sandbox.resetCounts();
    clock.advance(TWO_HOURS);
    const afterExpiry = await harness.api(user.apiKey, 'POST', '/v1/tools/call', search);
    responses.push(afterExpiry.body);
    expect(afterExpiry.status).toBe(200);
    expect(harness.sandbox.requestCounts().token.refresh_token).toBe(1);
    const me = await harness.api(user.apiKey, 'GET', '/v1/me');
    expect(Date.parse(me.body.wps.expiresAt)).toBeGreaterThan(clock.now());
    expectNoWpsSecretsLeaked(harness, responses);
  });

  it('refreshes a few minutes before expiry rather than after it', async () => {
    const { clock, options } = withClock();
    const { harness, user } = await connectedHarness(options);
    harness.sandbox.resetCounts();
    clock.advance(TWO_HOURS - 2 * 60_000);
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect(harness.sandbox.requestCounts().token.refresh_token).toBe(1);
    // No 401 was needed to trigger it.
    expect(harness.sandbox.requestCounts().mcp['kso-yundoc']?.http_401 ?? 0).toBe(0);
  });

  it('20 concurrent tool calls after expiry cause exactly one refresh and all succeed', async () => {
    const { clock, options } = withClock();
    const { harness, user } = await connectedHarness(options);
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    harness.sandbox.resetCounts();
    clock.advance(TWO_HOURS);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => harness.api(user.apiKey, 'POST', '/v1/tools/call', search)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(harness.sandbox.requestCounts().token.refresh_token).toBe(1);
  });

  it('a 401 from WPS for a token the agent thought fresh triggers one refresh and one retry', async () => {
    // The sandbox's clock runs ahead of the agent's, so WPS considers the token expired while the agent
    // does not: the agent only learns it from the 401.
    const agentClock = createManualClock(Date.now());
    const wpsClock = createManualClock(Date.now());
    const { harness, user } = await connectedHarness({
      clock: agentClock,
      sandboxOptions: { clock: wpsClock },
    });
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    harness.sandbox.resetCounts();
    wpsClock.advance(TWO_HOURS);
    harness.sandbox.dropMcpSessions();
    const answer = await harness.api(user.apiKey, 'POST', '/v1/tools/call', search);
    expect(answer.status).toBe(200);
    const counts = harness.sandbox.requestCounts();
    expect(counts.token.refresh_token).toBe(1);
    expect(counts.mcp['kso-yundoc']?.http_401).toBeGreaterThanOrEqual(1);
  });

  it('two processes sharing one database refresh once between them and lose no tokens', async () => {
    const clock = createManualClock(Date.now());
    const sandbox: WpsSandbox = await createWpsSandbox({ clock, allowLoopbackRedirects: true });
    cleanups.push(() => sandbox.close());
    const first = await startAgentHarness({ sandbox, clock });
    cleanups.push(() => first.close());
    const second = await startAgentHarness({ sandbox, clock, dataDir: first.dataDir });
    cleanups.push(() => second.close());
    const user = await first.createUser('ann');
    expect((await first.connectWps(user.apiKey, 'alice')).status).toBe(200);
    sandbox.resetCounts();
    // Time jumps: both instances beat meanwhile, as their timers would have, so each sees the other alive.
    const advance = async (ms: number) => {
      clock.advance(ms);
      for (const harness of [first, second]) await harness.services.heartbeat.beat();
    };
    await advance(TWO_HOURS);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        (index % 2 ? first : second).api(user.apiKey, 'POST', '/v1/tools/call', search),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(sandbox.requestCounts().token.refresh_token).toBe(1);
    // The stored pair is the winner's: both processes keep working after the next expiry too.
    await advance(TWO_HOURS);
    expect((await second.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect((await first.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect(sandbox.requestCounts().token.refresh_token).toBe(2);
  });
});

describe('when WPS refuses the refresh token', () => {
  it('answers wps_authorization_required with a fresh URL, then a new authorization restores service', async () => {
    const { harness, user } = await connectedHarness();
    harness.sandbox.revokeAccount('alice');
    const refused = await harness.api(user.apiKey, 'POST', '/v1/tools/call', search);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('wps_authorization_required');
    expect(refused.body.error.authorizeUrl).toMatch(/state=/);
    expect((await harness.api(user.apiKey, 'GET', '/v1/me')).body.wps.status).toBe(
      'reauthorization_required',
    );
    const tools = await harness.api(user.apiKey, 'GET', '/v1/tools');
    expect(tools.status).toBe(409);
    expect((await harness.connectWps(user.apiKey, 'alice')).status).toBe(200);
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect((await harness.api(user.apiKey, 'GET', '/v1/me')).body.wps.status).toBe('connected');
    expectNoWpsSecretsLeaked(harness, [refused.body, tools.body]);
  });

  it('a WPS outage during refresh is upstream_unavailable and keeps the tokens', async () => {
    const { clock, options } = withClock();
    const { harness, user } = await connectedHarness(options);
    clock.advance(TWO_HOURS);
    harness.sandbox.failNext('token', 1);
    const failed = await harness.api(user.apiKey, 'POST', '/v1/tools/call', search);
    expect(failed.status).toBe(502);
    expect(failed.body.error.code).toBe('upstream_unavailable');
    expect((await harness.api(user.apiKey, 'GET', '/v1/me')).body.wps.status).toBe('connected');
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
  });

  it('treats a 200 answer carrying a non-zero code as a refusal', async () => {
    const { clock, options } = withClock();
    const { harness, user } = await connectedHarness({
      ...options,
      sandboxOptions: { ...options.sandboxOptions, tokenErrorHttpStatus: 200 },
    });
    harness.sandbox.revokeAccount('alice');
    clock.advance(TWO_HOURS);
    const refused = await harness.api(user.apiKey, 'POST', '/v1/tools/call', search);
    expect(refused.status).toBe(409);
    expect((await harness.api(user.apiKey, 'GET', '/v1/me')).body.wps.status).toBe(
      'reauthorization_required',
    );
  });
});

describe('across restarts', () => {
  it('tokens survive an agent restart and connections come back', async () => {
    const sandbox = await createWpsSandbox({ allowLoopbackRedirects: true });
    cleanups.push(() => sandbox.close());
    const first = await startAgentHarness({ sandbox });
    const user = await first.createUser('ann');
    expect((await first.connectWps(user.apiKey, 'alice')).status).toBe(200);
    expect((await first.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    const dataDir = first.dataDir;
    // Keep the data directory: close the services and server but not the files.
    const second = await startAgentHarness({ sandbox, dataDir });
    cleanups.push(() => second.close());
    await first.close();
    expect((await second.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
  });

  it('the WPS MCP server losing every session mid-conversation is invisible to the user', async () => {
    const { harness, user } = await connectedHarness();
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    harness.sandbox.dropMcpSessions();
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect(harness.sandbox.requestCounts().mcp['kso-yundoc']?.initialize).toBe(2);
  });
});

describe('short-lived tokens', () => {
  it('are refreshed at half their lifetime, not on every request', async () => {
    const clock = createManualClock(Date.now());
    const { harness, user } = await connectedHarness({
      clock,
      sandboxOptions: { clock, accessTokenTtlSeconds: 60 },
    });
    harness.sandbox.resetCounts();
    for (let index = 0; index < 3; index++) {
      expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    }
    expect(harness.sandbox.requestCounts().token.refresh_token).toBe(0);
    clock.advance(31_000);
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect(harness.sandbox.requestCounts().token.refresh_token).toBe(1);
  });
});
