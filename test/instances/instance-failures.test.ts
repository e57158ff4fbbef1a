import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type SharedDatabase, startSharedDatabase } from './shared-database.js';

/** Heartbeat, expiry and sweep shrunk so a dead instance is noticed within about two seconds. */
const FAST_INSTANCES = {
  INSTANCE_HEARTBEAT_MS: '200',
  INSTANCE_EXPIRY_MS: '1000',
  ABANDONED_WORK_SWEEP_MS: '300',
};
const search = { name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } };

let shared: SharedDatabase | undefined;
const requests: AbortController[] = [];
afterEach(async () => {
  for (const controller of requests.splice(0)) controller.abort();
  await shared?.close();
  shared = undefined;
});

/** Sends `POST /v1/chat` without waiting for the answer (the turn hangs); abortable at the end. */
function startTurn(server: { url: string }, body: { message: string; conversationId?: string }) {
  const controller = new AbortController();
  requests.push(controller);
  fetch(`${server.url}/v1/chat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${shared?.user.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: controller.signal,
  }).catch(() => undefined);
  return controller;
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(50);
  }
}

/** The turn a tool call belongs to and both their statuses, straight from the shared database. */
function workOf(live: SharedDatabase, toolCallStatus?: string) {
  return live.query<{ conversationId: string; messageId: string; turn: string; call: string }>(
    `select c.conversation_id as conversationId, c.message_id as messageId, m.status as turn, c.status as call
       from tool_calls c join messages m on m.id = c.message_id
      where ? is null or c.status = ?`,
    toolCallStatus ?? null,
    toolCallStatus ?? null,
  )[0];
}

describe('an instance killed (kill -9) in the middle of a turn', () => {
  it('has its turn and tool call closed as aborted by a live instance within seconds, never the live one’s', async () => {
    shared = await startSharedDatabase();
    const live = shared;
    const doomed = await live.spawn(FAST_INSTANCES);
    const survivor = await live.spawn(FAST_INSTANCES);
    expect((await live.api(doomed, 'GET', '/v1/tools')).status).toBe(200);
    live.sandbox.failNext('mcp', 1, 'hang');
    live.model.script({ toolCalls: [search] });
    startTurn(doomed, { message: 'Find Q3' });
    const running = await waitFor(() => workOf(live, 'running'));

    // The turn runs in another process, yet this conversation is busy everywhere.
    const second = await live.api(survivor, 'POST', '/v1/chat', {
      message: 'And again',
      conversationId: running.conversationId,
    });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('conversation_busy');
    // The survivor's own turn in flight must outlive every sweep.
    live.model.script({ hang: true });
    const seen = live.model.requests.length;
    startTurn(survivor, { message: 'Think slowly' });
    await waitFor(() => (live.model.requests.length > seen ? true : undefined));

    doomed.process.kill('SIGKILL');
    const killedAt = Date.now();
    const closed = await waitFor(() => {
      const work = workOf(live)!;
      return work.turn === 'aborted' && work.call === 'aborted' ? work : undefined;
    });
    expect(closed.messageId).toBe(running.messageId);
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    const survivorTurn = live.query<{ status: string }>(
      "select m.status from messages m join conversations c on c.id = m.conversation_id where c.title like 'Think slowly%' and m.role = 'assistant'",
    );
    expect(survivorTurn).toEqual([{ status: 'streaming' }]);

    // The aborted turn no longer holds its conversation.
    live.model.script({ text: 'Here again.' });
    const retry = await live.api(survivor, 'POST', '/v1/chat', {
      message: 'Try again',
      conversationId: running.conversationId,
    });
    expect(retry.status).toBe(200);
  }, 60_000);
});

describe('an instance killed (kill -9) while it refreshes a token', () => {
  it('leaves no lease behind: another instance refreshes as soon as the heartbeat stops', async () => {
    // Tokens live 2 s and are refreshed at half their lifetime: every call below needs a refresh.
    shared = await startSharedDatabase({ sandboxOptions: { accessTokenTtlSeconds: 2 } });
    const live = shared;
    const doomed = await live.spawn(FAST_INSTANCES);
    const survivor = await live.spawn(FAST_INSTANCES);
    await sleep(1_100);
    live.sandbox.failNext('token', 1, 'hang');
    const call = (server: { url: string }) =>
      live.api(server, 'POST', '/v1/tools/call', { name: search.name, arguments: search.arguments });
    call(doomed).catch(() => undefined);
    // The lease is taken and the refresh request is at WPS (which will never answer it).
    await waitFor(() => (live.sandbox.requestCounts().token.refresh_token === 1 ? true : undefined));
    expect(live.query('select 1 from wps_connections where refresh_lease_owner is not null')).toHaveLength(1);
    doomed.process.kill('SIGKILL');

    const started = Date.now();
    const answer = await call(survivor);
    expect(answer.status).toBe(200);
    // Heartbeat expiry (1 s here) rather than the 30 s lease.
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 60_000);
});

describe('an instance stopped with SIGTERM in the middle of a turn', () => {
  it('stores its turn and tool call as aborted and removes its instance row before it exits', async () => {
    shared = await startSharedDatabase();
    const live = shared;
    const stopping = await live.spawn();
    expect((await live.api(stopping, 'GET', '/v1/tools')).status).toBe(200);
    live.sandbox.failNext('mcp', 1, 'hang');
    live.model.script({ toolCalls: [search] });
    startTurn(stopping, { message: 'Find Q3' });
    await waitFor(() => workOf(live, 'running'));

    expect(await stopping.stop()).toBe(0);
    const work = workOf(live)!;
    expect({ turn: work.turn, call: work.call }).toEqual({ turn: 'aborted', call: 'aborted' });
    // Only the harness that set the user up is left.
    expect(live.query('select id from instances')).toHaveLength(1);
  }, 60_000);
});
