import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { hasPostgres } from '../support/postgres.js';
import { withinOneRateLimitWindow } from '../support/rate-limit-window.js';
import {
  type FleetUser,
  type PostgresFleet,
  type ServerProcess,
  startPostgresFleet,
  waitFor,
} from './postgres-fleet.js';

/**
 * Issue 11's "done when": two real instances on one PostgreSQL and one WPS sandbox, requests alternating
 * between them, keep every guarantee one instance gives.
 */
const search = { name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } };
/** Heartbeat, expiry and sweep shrunk so a dead instance is noticed within seconds, not half a minute. */
const FAST_INSTANCES = {
  INSTANCE_HEARTBEAT_MS: '500',
  INSTANCE_EXPIRY_MS: '2000',
  ABANDONED_WORK_SWEEP_MS: '1000',
};

let fleet: PostgresFleet | undefined;
const hangingRequests: AbortController[] = [];
afterEach(async () => {
  for (const controller of hangingRequests.splice(0)) controller.abort();
  await fleet?.close();
  fleet = undefined;
});

/** A fleet with user ann connected to WPS account alice (authorized on instance 2, called back on 1). */
async function fleetWithConnectedUser(options: Parameters<typeof startPostgresFleet>[0] = {}) {
  fleet = await startPostgresFleet(options);
  const [first, second] = fleet.instances as [ServerProcess, ServerProcess];
  const user = await fleet.createUser('ann');
  const connected = await fleet.connectWps(user, { startOn: second, callbackOn: first });
  if (connected.status !== 200) throw new Error(`could not connect WPS: ${connected.html}`);
  return { live: fleet, first, second, user };
}

function callTool(live: PostgresFleet, instance: { url: string }, user: FleetUser) {
  return live.api(instance, user, { method: 'POST', route: '/v1/tools/call', body: search });
}

describe.skipIf(!hasPostgres)('two server processes on one PostgreSQL and one WPS sandbox', () => {
  it('start together on an empty database, say postgres on /health, and 503 once PostgreSQL is gone', async () => {
    fleet = await startPostgresFleet();
    const live = fleet;
    for (const instance of live.instances) {
      const health = await fetch(`${instance.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', database: 'postgres' });
    }
    // Migrated once, and exactly one of them created (and showed) the first user.
    const banners = live.instances.filter((instance) =>
      instance.output().includes('First start: created user'),
    );
    expect(banners).toHaveLength(1);

    // Stops the throwaway cluster, or drops the database (its connections with it) on a shared server.
    await live.database.stop();
    for (const instance of live.instances) {
      const { value: down } = await waitFor(async () => {
        const health = await fetch(`${instance.url}/health`);
        return health.status === 503 ? health : undefined;
      }, 15_000);
      expect(await down.json()).toMatchObject({
        status: 'unavailable',
        database: 'postgres',
        reason: expect.stringContaining('database'),
      });
    }
  }, 60_000);

  it('complete on the second instance an authorization started on the first', async () => {
    fleet = await startPostgresFleet();
    const live = fleet;
    const [first, second] = live.instances as [ServerProcess, ServerProcess];
    const user = await live.createUser('ann');
    const me = () => live.api(first, user, { method: 'GET', route: '/v1/me' });
    expect((await me()).body.wps.status).toBe('not_connected');

    const callback = await live.connectWps(user, { startOn: first, callbackOn: second });
    expect(callback.status).toBe(200);
    expect(callback.html).toContain('ann');
    expect((await me()).body.wps.status).toBe('connected');
    // The tokens the second instance stored open on the first: the fleet has one encryption key.
    expect((await callTool(live, first, user)).status).toBe(200);
  }, 60_000);

  it('refresh an expired token once for 20 parallel tool calls spread across both', async () => {
    // Tokens live 5 s and are refreshed only once expired (margin 0): the calls below all find it expired.
    const { live, first, second, user } = await fleetWithConnectedUser({
      sandboxOptions: { accessTokenTtlSeconds: 5 },
      env: { TOKEN_REFRESH_MARGIN_SECONDS: '0' },
    });
    // Both instances have MCP connections open with the first token.
    expect((await callTool(live, first, user)).status).toBe(200);
    expect((await callTool(live, second, user)).status).toBe(200);
    const me = await live.api(first, user, { method: 'GET', route: '/v1/me' });
    await sleep(Math.max(0, Date.parse(me.body.wps.expiresAt) - Date.now()) + 300);

    live.sandbox.resetCounts();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) => callTool(live, index % 2 ? first : second, user)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(live.sandbox.requestCounts().token.refresh_token).toBe(1);
    // Both use the winner's pair: later calls on each need no refresh of their own.
    expect((await callTool(live, first, user)).status).toBe(200);
    expect((await callTool(live, second, user)).status).toBe(200);
    expect(live.sandbox.requestCounts().token.refresh_token).toBe(1);
  }, 60_000);

  it('run a write paused for approval on the first exactly once when approved through the second', async () => {
    const { live, first, second, user } = await fleetWithConnectedUser();
    const plan = live.sandbox.documents('alice').find((document) => document.name.startsWith('Q3'))!;
    const markdown = `${plan.markdown}\n## Risks\n`;
    live.model.script({
      toolCalls: [
        {
          name: 'kso_airpage_import_markdown_data',
          arguments: { file_id: plan.id, markdown_content: markdown },
        },
      ],
    });
    live.model.setFallback({ text: 'Added the Risks section.' });
    const chat = (instance: { url: string }, body: unknown) =>
      live.api(instance, user, { method: 'POST', route: '/v1/chat', body });
    const paused = await chat(first, { message: 'Add a risks section' });
    expect(paused.body.status).toBe('awaiting_approval');
    expect(live.sandbox.documents('alice').find((document) => document.id === plan.id)?.markdown).toBe(
      plan.markdown,
    );

    live.sandbox.resetCounts();
    const approval = {
      conversationId: paused.body.conversationId,
      approvals: [{ id: paused.body.approvals[0].id, approved: true }],
    };
    // The approval through the second instance, and a double submit of it that the balancer sent to the first.
    const answers = await Promise.all([chat(second, approval), chat(first, approval)]);
    const won = answers.filter((answer) => answer.status === 200);
    expect(won).toHaveLength(1);
    expect(won[0]?.body).toMatchObject({ status: 'complete', messageId: paused.body.messageId });
    const lost = answers.find((answer) => answer.status !== 200)!;
    expect({ status: lost.status, code: lost.body.error.code }).toEqual({
      status: 409,
      code: 'approval_decided',
    });

    expect(live.sandbox.requestCounts().mcp['kso-airpage']?.['tools/call']).toBe(1);
    expect(live.sandbox.documents('alice').find((document) => document.id === plan.id)?.markdown).toBe(
      markdown,
    );
    const transcript = await live.api(first, user, {
      method: 'GET',
      route: `/v1/conversations/${paused.body.conversationId}`,
    });
    const writes = transcript.body.messages
      .flatMap((message: { toolCalls?: Array<{ name: string; status: string }> }) => message.toolCalls ?? [])
      .filter((call: { name: string }) => call.name === 'kso_airpage_import_markdown_data');
    expect(writes.map((call: { status: string }) => call.status)).toEqual(['ok']);
  }, 60_000);

  it('leave a turn of an instance killed with -9 aborted, as the other instance sees it', async () => {
    const { live, first, second, user } = await fleetWithConnectedUser({ env: FAST_INSTANCES });
    live.model.script({ hang: true });
    const controller = new AbortController();
    hangingRequests.push(controller);
    fetch(`${first.url}/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Think slowly' }),
      signal: controller.signal,
    }).catch(() => undefined);
    await waitFor(async () => (live.model.requests.length > 0 ? true : undefined), 15_000);
    const listed = await live.api(second, user, { method: 'GET', route: '/v1/conversations' });
    const conversationId: string = listed.body.conversations[0].id;
    const turnStatus = async () => {
      const transcript = await live.api(second, user, {
        method: 'GET',
        route: `/v1/conversations/${conversationId}`,
      });
      return transcript.body.messages.find((message: { role: string }) => message.role === 'assistant')
        ?.status;
    };
    expect(await turnStatus()).toBe('streaming');
    // The turn runs in the first process, yet its conversation is busy on the second too.
    const busy = await live.api(second, user, {
      method: 'POST',
      route: '/v1/chat',
      body: { message: 'And again', conversationId },
    });
    expect({ status: busy.status, code: busy.body.error.code }).toEqual({
      status: 409,
      code: 'conversation_busy',
    });

    first.process.kill('SIGKILL');
    const { elapsedMs } = await waitFor(
      async () => ((await turnStatus()) === 'aborted' ? true : undefined),
      60_000,
    );
    console.info(`turn of the killed instance seen aborted after ${elapsedMs} ms`);
    expect(elapsedMs).toBeLessThan(60_000);
    // The aborted turn no longer holds its conversation.
    live.model.script({ text: 'Here again.' });
    const retry = await live.api(second, user, {
      method: 'POST',
      route: '/v1/chat',
      body: { message: 'Try again', conversationId },
    });
    expect(retry.status).toBe(200);
  }, 90_000);

  it('store a reply holding a NUL: the turn completes, its transcript shows U+FFFD there', async () => {
    const { live, first, second, user } = await fleetWithConnectedUser();
    live.model.script({ text: 'Total:\u0000 42' });
    const chat = await live.api(first, user, {
      method: 'POST',
      route: '/v1/chat',
      body: { message: 'Sum it' },
    });
    expect({ status: chat.status, turn: chat.body.status, text: chat.body.text }).toEqual({
      status: 200,
      turn: 'complete',
      text: 'Total:\u0000 42',
    });
    const transcript = await live.api(second, user, {
      method: 'GET',
      route: `/v1/conversations/${chat.body.conversationId}`,
    });
    expect(transcript.body.messages.map((message: { text: string }) => message.text)).toEqual([
      'Sum it',
      'Total:\uFFFD 42',
    ]);
  });

  it('hold one per-user rate limit across both instances', async () => {
    const limit = 6;
    const extra = 3;
    const { live, first, second, user } = await fleetWithConnectedUser({
      env: { RATE_LIMIT_PER_MINUTE: String(limit) },
    });
    // The calls take a few seconds: all of them in one window (seen failing CI once, 7 passed).
    await withinOneRateLimitWindow(20_000);
    const answers = [];
    for (let index = 0; index < limit + extra; index++) {
      answers.push(await callTool(live, index % 2 ? second : first, user));
    }
    const limited = answers.filter((answer) => answer.status === 429);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(limit);
    expect(limited).toHaveLength(extra);
    for (const answer of limited) {
      expect(answer.body.error.code).toBe('rate_limited');
      expect(Number(answer.retryAfter)).toBeGreaterThan(0);
    }
  }, 60_000);
});
