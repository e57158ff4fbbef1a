import { modelMessageSchema } from 'ai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod/v4';
import { resolveMessageSchemaCycles } from '../../src/agent/message-schema-warmup.js';

/** What `generateText` checks every call: a new array schema around the SDK's message schema. */
const checkAsTheSdkDoes = () =>
  z.array(modelMessageSchema).safeParse([
    { role: 'user', content: 'Find my Q3 plan.' },
    {
      role: 'assistant',
      content: [{ type: 'tool-call', toolCallId: 'call-1', toolName: 'search', input: { query: 'Q3' } }],
    },
  ]);

/** Property reads of zod's cycle walk over schema shapes: none once its answer is kept. */
function shapeWalksDuring(work: () => void): number {
  const ownKeys = vi.spyOn(Reflect, 'ownKeys');
  try {
    work();
    return ownKeys.mock.calls.length;
  } finally {
    ownKeys.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('the message schema’s cycle check', () => {
  it('walks the whole message schema on every call until the JSON-value lazy is resolved, and not after', () => {
    // This test file runs in its own module graph: nothing has resolved the SDK's lazy yet.
    checkAsTheSdkDoes();
    expect(shapeWalksDuring(checkAsTheSdkDoes)).toBeGreaterThan(20);

    resolveMessageSchemaCycles();
    checkAsTheSdkDoes();
    expect(shapeWalksDuring(checkAsTheSdkDoes)).toBe(0);
    expect(checkAsTheSdkDoes().success).toBe(true);
    // Validation is unchanged: a message the schema rejected before is still rejected.
    expect(z.array(modelMessageSchema).safeParse([{ role: 'user', content: 42 }]).success).toBe(false);
  });
});
