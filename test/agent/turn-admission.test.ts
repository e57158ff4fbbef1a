import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChatHarness, startChatHarness } from '../support/chat-harness.js';

let harness: ChatHarness | undefined;
const inFlight: AbortController[] = [];
afterEach(async () => {
  for (const controller of inFlight.splice(0)) controller.abort();
  // Aborted turns store their end; let them, before the database closes under them.
  while (harness?.agent.db.$client.prepare("select 1 from messages where status = 'streaming'").get())
    await sleep(20);
  await harness?.close();
  harness = undefined;
});

/** `POST /v1/chat` (JSON); the caller may abort it, as a user closing the tab would. */
function chat(body: { message: string; conversationId?: string }, signal?: AbortSignal) {
  const live = harness as ChatHarness;
  return fetch(`${live.agent.url}/v1/chat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${live.user.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  }).then(async (response) => ({
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as any,
  }));
}

/** Starts a turn that stays in flight (the model hangs) until the test ends; resolves once it runs. */
async function startHangingTurn(conversationId?: string) {
  const live = harness as ChatHarness;
  const seen = live.model.requests.length;
  const controller = new AbortController();
  inFlight.push(controller);
  chat({ message: 'Take your time', conversationId }, controller.signal).catch(() => undefined);
  while (live.model.requests.length === seen) await sleep(10);
  return controller;
}

const conversationCount = async () =>
  (await (harness as ChatHarness).agent.api((harness as ChatHarness).user.apiKey, 'GET', '/v1/conversations'))
    .body.conversations.length;

describe('a second turn on a conversation whose turn is still running', () => {
  it('gets 409 conversation_busy, stores nothing, and the conversation takes turns again once it ends', async () => {
    harness = await startChatHarness();
    harness.model.script({ text: 'Hello.' });
    const first = await chat({ message: 'Hi' });
    expect(first.status).toBe(200);
    const { conversationId } = first.body;

    harness.model.script({ hang: true });
    const running = await startHangingTurn(conversationId);
    const second = await chat({ message: 'Hi again (double click)', conversationId });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('conversation_busy');

    running.abort();
    const transcript = async () =>
      (await harness!.agent.api(harness!.user.apiKey, 'GET', `/v1/conversations/${conversationId}`)).body;
    while ((await transcript()).messages.at(-1).status === 'streaming') await sleep(20);
    // The refused message was never stored: two turns, four messages.
    expect((await transcript()).messages.map((message: any) => message.text)).not.toContain(
      'Hi again (double click)',
    );
    harness.model.script({ text: 'Now I can answer.' });
    const third = await chat({ message: 'Still there?', conversationId });
    expect(third.status).toBe(200);
    expect((await transcript()).messages).toHaveLength(6);
  });
});

describe('two turns sent at the same moment to one conversation (two tabs)', () => {
  it('one runs, the other gets 409 conversation_busy', async () => {
    harness = await startChatHarness();
    harness.model.setFallback({ text: 'Hello.' });
    const { conversationId } = (await chat({ message: 'Hi' })).body;
    harness.model.setLatency(300);
    const answers = await Promise.all([
      chat({ message: 'From tab one', conversationId }),
      chat({ message: 'From tab two', conversationId }),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
  });
});

describe('turns in flight per user', () => {
  it('over AGENT_MAX_TURNS_IN_FLIGHT, a new turn gets 429 rate_limited with Retry-After and stores nothing', async () => {
    harness = await startChatHarness({ env: { AGENT_MAX_TURNS_IN_FLIGHT: '2' } });
    harness.model.setFallback({ hang: true });
    const running = [await startHangingTurn(), await startHangingTurn()];
    const third = await chat({ message: 'One more' });
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('rate_limited');
    expect(Number(third.retryAfter)).toBeGreaterThan(0);
    expect(await conversationCount()).toBe(2);

    running[0]?.abort();
    await sleep(200);
    harness.model.setFallback({ text: 'Done.' });
    expect((await chat({ message: 'Now?' })).status).toBe(200);
  });
});

describe('a database that stays busy', () => {
  it('answers 503 unavailable with Retry-After and stores nothing half-way', async () => {
    // No heartbeat during the test: each write waits out the busy timeout, the beat's too.
    harness = await startChatHarness({
      env: { INSTANCE_HEARTBEAT_MS: '60000', INSTANCE_EXPIRY_MS: '120000' },
    });
    harness.model.setFallback({ text: 'Hello.' });
    // Another process holds the write lock for longer than the busy timeout (5 s).
    const other = new Database(`${harness.agent.dataDir}/agent.db`);
    other.exec('BEGIN IMMEDIATE');
    try {
      const answer = await chat({ message: 'Hi' });
      expect(answer.status).toBe(503);
      expect(answer.body.error.code).toBe('unavailable');
      expect(Number(answer.retryAfter)).toBeGreaterThan(0);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await conversationCount()).toBe(0);
    expect((await chat({ message: 'Hi' })).status).toBe(200);
  }, 15_000);
});
