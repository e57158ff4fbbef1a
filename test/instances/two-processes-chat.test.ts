import { afterEach, describe, expect, it } from 'vitest';
import type { ScriptedStep } from '../support/scripted-model/index.js';
import { type SharedDatabase, startSharedDatabase } from './shared-database.js';

let shared: SharedDatabase | undefined;
afterEach(async () => {
  await shared?.close();
  shared = undefined;
});

/** Every turn searches once and then answers: several writes per turn (turn, tool call, steps, end). */
const searchThenAnswer: ScriptedStep = (request) =>
  request.body.messages?.at(-1)?.role === 'tool'
    ? { text: 'Found it.' }
    : { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }] };

describe('two server processes on one DATA_DIR under concurrent chat', () => {
  it('answer every turn 200 (its message stored) or 503 with Retry-After, never 500', async () => {
    shared = await startSharedDatabase();
    shared.model.setFallback(searchThenAnswer);
    const env = { AGENT_MAX_TURNS_IN_FLIGHT: '1000' };
    const servers = [await shared.spawn(env), await shared.spawn(env)];
    const live = shared;
    const turns = await Promise.all(
      Array.from({ length: 80 }, async (_, index) => {
        const message = `Turn ${index}: find Q3`;
        const answer = await live.api(servers[index % 2]!, 'POST', '/v1/chat', { message });
        return { message, ...answer };
      }),
    );

    const statuses = turns.map((turn) => turn.status);
    expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    for (const turn of turns.filter((candidate) => candidate.status === 503)) {
      expect(turn.body.error.code).toBe('unavailable');
      expect(Number(turn.retryAfter)).toBeGreaterThan(0);
    }
    const answered = turns.filter((turn) => turn.status === 200);
    expect(answered.length).toBeGreaterThan(40);
    const stored = new Set(
      live.query<{ text: string }>("select text from messages where role = 'user'").map((row) => row.text),
    );
    for (const turn of answered) expect(stored.has(turn.message)).toBe(true);
    for (const server of servers) expect(server.output()).not.toMatch(/database is locked/);
  }, 90_000);
});
