import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChatHarness, postChatStream, startChatHarness } from '../support/chat-harness.js';
import type { ScriptedStep } from '../support/scripted-model/index.js';

let harness: ChatHarness;
afterEach(async () => {
  await harness?.close();
});

const search = { name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } };
const chat = (body: Record<string, unknown>) =>
  harness.agent.api(harness.user.apiKey, 'POST', '/v1/chat', body);
const chatRequests = () =>
  harness.model.requests.filter((request) => request.path.endsWith('/chat/completions'));

async function storedMessages(conversationId?: string) {
  const id =
    conversationId ??
    (await harness.agent.api(harness.user.apiKey, 'GET', '/v1/conversations')).body.conversations[0].id;
  const transcript = await harness.agent.api(harness.user.apiKey, 'GET', `/v1/conversations/${id}`);
  return transcript.body.messages as Array<{ role: string; status: string; text: string; error?: string }>;
}

/** What broken or misconfigured endpoints really answer with a 200. */
const GARBAGE: Record<string, { contentType: string; body: string }> = {
  'an HTML page': { contentType: 'text/html', body: '<html><body><h1>Welcome to nginx!</h1></body></html>' },
  '{}': { contentType: 'application/json', body: '{}' },
  'broken JSON': { contentType: 'application/json', body: '{"choices":[{"message":{"role":"assist' },
  'a stream that ends with no finish': {
    contentType: 'text/event-stream',
    body: `data: ${JSON.stringify({
      id: 'cut',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'scripted-model',
      choices: [{ index: 0, delta: { role: 'assistant', content: 'Half an ans' }, finish_reason: null }],
    })}\n\n`,
  },
};

describe('a model that answers garbage', () => {
  for (const [name, raw] of Object.entries(GARBAGE)) {
    it(`${name}: JSON is 502 model_error, the stream has an error part, the turn is stored as error, the message kept`, async () => {
      harness = await startChatHarness();
      harness.model.setFallback({ raw });

      const answer = await chat({ message: 'Hello?' });
      expect(answer.status).toBe(502);
      expect(answer.body.error.code).toBe('model_error');
      expect(answer.body.error.message).toContain('could not be read');

      const response = await postChatStream(harness, { message: 'Hello again?' });
      const body = await response.text();
      expect(body).toMatch(/"type":"error","errorText":"The model endpoint's answer could not be read/);
      expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
      const conversationId = response.headers.get('x-conversation-id') ?? '';
      expect((await storedMessages(conversationId)).map((message) => [message.role, message.status])).toEqual(
        [
          ['user', 'complete'],
          ['assistant', 'error'],
        ],
      );
      expect((await storedMessages(conversationId))[0]?.text).toBe('Hello again?');
    });
  }
});

describe('a database that refuses the write at the end of a turn', () => {
  /** The model answers, and from then on SQLite refuses every write (as a full or read-only disk would). */
  const answerThenRefuseWrites: ScriptedStep = () => {
    harness.agent.db.$client.pragma('query_only = ON');
    return { text: 'An answer that cannot be saved.' };
  };
  afterEach(() => {
    harness?.agent.db.$client.pragma('query_only = OFF');
  });

  it('JSON: the turn ends with a clear 500, is logged, and the server keeps serving', async () => {
    harness = await startChatHarness();
    harness.model.script(answerThenRefuseWrites);
    const answer = await chat({ message: 'Save this' });
    expect(answer.status).toBe(500);
    expect(answer.body.error.message).toContain('could not be saved');
    expect(harness.agent.logs.some((line) => line.includes('could not store the end of a chat turn'))).toBe(
      true,
    );
    harness.agent.db.$client.pragma('query_only = OFF');
    harness.model.script({ text: 'Still here.' });
    expect((await chat({ message: 'Are you alive?' })).body.text).toBe('Still here.');
  });

  it('stream: the stream ends with an error part and closes instead of hanging', async () => {
    harness = await startChatHarness();
    harness.model.script(answerThenRefuseWrites);
    const response = await postChatStream(harness, { message: 'Save this' });
    const body = await Promise.race([response.text(), sleep(5_000).then(() => 'still open after 5 s')]);
    expect(body).toMatch(/"type":"error","errorText":"The answer could not be saved/);
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('a write that fails between steps stops the turn after that step and reports it', async () => {
    harness = await startChatHarness();
    harness.model.script({ toolCalls: [search] }, { text: 'never asked' });
    const appendStep = harness.agent.services.conversationsRepository.appendStep;
    harness.agent.services.conversationsRepository.appendStep = () => {
      throw new Error('SQLITE_FULL: database or disk is full');
    };
    try {
      const answer = await chat({ message: 'Find Q3' });
      expect(answer.status).toBe(500);
      expect(answer.body.error.message).toContain('could not be saved');
      expect(chatRequests()).toHaveLength(1);
    } finally {
      harness.agent.services.conversationsRepository.appendStep = appendStep;
    }
  });
});

describe('Stop', () => {
  it('a streamed turn stopped after its first tool step is stored as aborted, not complete', async () => {
    harness = await startChatHarness();
    harness.model.script({ toolCalls: [search] }, { hang: true });
    const client = new AbortController();
    const response = await fetch(`${harness.agent.url}/v1/chat`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${harness.user.apiKey}`,
        'content-type': 'application/json',
        accept: 'text/event-stream',
      },
      body: JSON.stringify({ message: 'Find Q3' }),
      signal: client.signal,
    });
    const conversationId = response.headers.get('x-conversation-id') ?? '';
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let seen = '';
    while (!seen.includes('tool-output-available'))
      seen += new TextDecoder().decode((await reader.read()).value);
    // The second model request (the next step) is under way when the user presses Stop.
    await expect.poll(() => chatRequests().length).toBe(2);
    client.abort();
    await expect
      .poll(async () => (await storedMessages(conversationId)).map((message) => message.status))
      .toEqual(['complete', 'aborted']);
  });
});

describe('Try again', () => {
  it('retry runs the failed turn again without storing the user message a second time', async () => {
    harness = await startChatHarness();
    harness.model.script({ error: { status: 400, body: { error: { message: 'bad day' } } } });
    const failed = await chat({ message: 'Summarise the Q3 plan' });
    expect(failed.body.error.code).toBe('model_error');
    const conversationId = (await harness.agent.api(harness.user.apiKey, 'GET', '/v1/conversations')).body
      .conversations[0].id;

    harness.model.script({ text: 'The Q3 plan, in short.' });
    const retried = await chat({ conversationId, retry: true });
    expect(retried.status).toBe(200);
    expect(retried.body.text).toBe('The Q3 plan, in short.');
    // The model got the same message once, not twice.
    const userMessages = chatRequests()[1]?.body.messages?.filter((message) => message.role === 'user');
    expect(userMessages?.map((message) => message.content)).toEqual(['Summarise the Q3 plan']);

    const stored = await storedMessages(conversationId);
    expect(stored.filter((message) => message.role === 'user')).toHaveLength(1);
    expect(stored.map((message) => [message.role, message.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'error'],
      ['assistant', 'complete'],
    ]);

    // A turn that did not fail cannot be retried; the next turn replays the retry, not the failure.
    const again = await chat({ conversationId, retry: true });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('validation_failed');
    harness.model.script({ text: 'ok' });
    await chat({ conversationId, message: 'Thanks' });
    const replayed = chatRequests()[2]?.body.messages?.map((message) => message.role);
    expect(replayed).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('a turn still running cannot be retried: conversation_busy', async () => {
    harness = await startChatHarness();
    harness.model.script({ text: 'First.' }, { hang: true });
    const first = await chat({ message: 'Hello' });
    const client = new AbortController();
    const running = fetch(`${harness.agent.url}/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harness.user.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'And then?', conversationId: first.body.conversationId }),
      signal: client.signal,
    }).catch(() => undefined);
    await expect.poll(() => chatRequests().length).toBe(2);
    const retried = await chat({ conversationId: first.body.conversationId, retry: true });
    expect(retried.status).toBe(409);
    expect(retried.body.error.code).toBe('conversation_busy');
    client.abort();
    await running;
  });

  it('retry needs a conversation and no message', async () => {
    harness = await startChatHarness();
    expect((await chat({ retry: true })).body.error.code).toBe('validation_failed');
    expect((await chat({ retry: true, conversationId: 'c', message: 'x' })).body.error.code).toBe(
      'validation_failed',
    );
  });
});

describe('no model configured', () => {
  it('without OPENAI_API_KEY for OpenAI itself, the chat fails at once with what to set', async () => {
    harness = await startChatHarness({
      env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: 'https://api.openai.com/v1' },
    });
    const started = Date.now();
    const answer = await chat({ message: 'Hello?' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(answer.status).toBe(502);
    expect(answer.body.error).toEqual({
      code: 'model_error',
      message:
        'No model is configured: set OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL (environment or .env); any OpenAI-compatible endpoint works',
    });
    expect(
      (await harness.agent.api(harness.user.apiKey, 'GET', '/v1/conversations')).body.conversations,
    ).toEqual([]);
  });

  it('a keyless local endpoint (another OPENAI_BASE_URL) still works without a key', async () => {
    harness = await startChatHarness({ env: { OPENAI_API_KEY: '' } });
    harness.model.script({ text: 'Local model here.' });
    expect((await chat({ message: 'Hello?' })).body.text).toBe('Local model here.');
  });
});

describe('stored history', () => {
  it('a stored model message this version cannot read fails the turn loudly, before anything is stored', async () => {
    harness = await startChatHarness();
    harness.model.script({ text: 'First answer.' });
    const first = await chat({ message: 'Hello' });
    harness.agent.db.$client
      .prepare('UPDATE messages SET model_messages = ? WHERE id = ?')
      .run(JSON.stringify([{ role: 'robot', content: 42 }]), first.body.messageId);
    const answer = await chat({ message: 'And now?', conversationId: first.body.conversationId });
    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe('history_unreadable');
    expect(answer.body.error.message).toContain(first.body.messageId);
    expect(chatRequests()).toHaveLength(1);
    expect(await storedMessages(first.body.conversationId)).toHaveLength(2);
  });
});

describe('WPS authorization lost mid-turn', () => {
  it('with no authorize URL to be had, the notice still says how to reconnect and never ends in an empty link', async () => {
    harness = await startChatHarness();
    harness.model.script(() => {
      harness.agent.sandbox.revokeAccount('alice');
      return { toolCalls: [search] };
    });
    const flow = harness.agent.services.chat.authorizationFlow;
    const authorizeUrlFor = flow.authorizeUrlFor;
    flow.authorizeUrlFor = () => Promise.reject(new Error('WPS discovery timed out'));
    try {
      const answer = await chat({ message: 'Find Q3' });
      expect(answer.status).toBe(200);
      expect(answer.body.text).toContain('press Connect WPS in the console');
      expect(answer.body.text).not.toMatch(/continue:\s*$/);
      expect(answer.body.wps).toEqual({ status: 'reauthorization_required' });
    } finally {
      flow.authorizeUrlFor = authorizeUrlFor;
    }
  });
});
