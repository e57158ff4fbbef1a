import { afterEach, expect, it } from 'vitest';
import { type ChatHarness, startChatHarness } from '../support/chat-harness.js';

let harness: ChatHarness;
afterEach(async () => {
  await harness?.close();
});

it('while the server drains for shutdown, a new chat turn is refused with 503 unavailable and nothing is stored', async () => {
  harness = await startChatHarness();
  const { agent, model, user } = harness;
  expect(await agent.services.turnDrain.drain(0)).toBe(true);

  const refused = await agent.api(user.apiKey, 'POST', '/v1/chat', { message: 'Hello?' });
  expect(refused.status).toBe(503);
  expect(refused.body.error).toMatchObject({
    code: 'unavailable',
    message: expect.stringMatching(/shutting down/),
  });
  expect(refused.headers.get('retry-after')).toBe('2');
  expect(model.requests).toHaveLength(0);
  expect((await agent.api(user.apiKey, 'GET', '/v1/conversations')).body.conversations).toEqual([]);
});
