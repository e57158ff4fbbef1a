import { afterEach, describe, expect, it } from 'vitest';
import { CHAT_MESSAGE_MAX_CHARS } from '../../src/agent/chat-message-limit.js';
import { CHAT_MESSAGE_MAX_CHARS as CONSOLE_CHAT_MESSAGE_MAX_CHARS } from '../../web/src/chat/message-limit.js';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';

let harness: AgentHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('request size limits', () => {
  it('answers an oversized body with 413 payload_too_large, and an over-long message with 400', async () => {
    harness = await startAgentHarness();
    const { apiKey } = await harness.createUser('wen');
    const huge = await harness.api(apiKey, 'POST', '/v1/chat', { message: 'x'.repeat(1_200_000) });
    expect(huge.status).toBe(413);
    expect(huge.body).toEqual({
      error: { code: 'payload_too_large', message: expect.stringContaining('1mb') },
    });
    const long = await harness.api(apiKey, 'POST', '/v1/chat', {
      message: 'x'.repeat(CHAT_MESSAGE_MAX_CHARS + 1),
    });
    expect(long.status).toBe(400);
    expect(long.body.error).toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('32,000 characters at most'),
    });
  });

  it('the console checks the same message limit as the server', () => {
    expect(CONSOLE_CHAT_MESSAGE_MAX_CHARS).toBe(CHAT_MESSAGE_MAX_CHARS);
  });
});
