import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTurnDeadline } from '../../src/agent/turn-deadline.js';
import { type ChatHarness, startChatHarness } from '../support/chat-harness.js';

describe('a turn deadline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts with the client, and says it was not the time limit', () => {
    vi.useFakeTimers();
    const client = new AbortController();
    const deadline = createTurnDeadline({ clientSignal: client.signal, timeoutMs: 300_000 });
    client.abort();
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.timedOut()).toBe(false);
  });

  it('aborts when the time is up, with a reason that says how long', () => {
    vi.useFakeTimers();
    const deadline = createTurnDeadline({ clientSignal: new AbortController().signal, timeoutMs: 2_000 });
    vi.advanceTimersByTime(2_000);
    expect(deadline.timedOut()).toBe(true);
    expect(String(deadline.signal.reason)).toContain('did not finish within 2 s');
  });

  it('cleared when the turn ends: no timer is left pending and the client signal lets go of it', () => {
    vi.useFakeTimers();
    const client = new AbortController();
    const deadline = createTurnDeadline({ clientSignal: client.signal, timeoutMs: 300_000 });
    expect(vi.getTimerCount()).toBe(1);
    deadline.clear();
    expect(vi.getTimerCount()).toBe(0);
    client.abort();
    expect(deadline.signal.aborted).toBe(false);
  });
});

describe('a finished chat turn', () => {
  let harness: ChatHarness | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await harness?.close();
  });

  it('clears its time-limit timer at once instead of holding it for AGENT_TURN_TIMEOUT_MS', async () => {
    harness = await startChatHarness({ env: { AGENT_TURN_TIMEOUT_MS: '123456' } });
    harness.model.script({ text: 'Done.' });
    const setTimer = vi.spyOn(globalThis, 'setTimeout');
    const clearTimer = vi.spyOn(globalThis, 'clearTimeout');
    const answer = await harness.agent.api(harness.user.apiKey, 'POST', '/v1/chat', { message: 'Hi' });
    expect(answer.status).toBe(200);
    const turnTimers = setTimer.mock.results
      .filter((_result, index) => setTimer.mock.calls[index]?.[1] === 123_456)
      .map((result) => result.value);
    expect(turnTimers).toHaveLength(1);
    expect(clearTimer.mock.calls.map((call) => call[0])).toContain(turnTimers[0]);
  });
});
