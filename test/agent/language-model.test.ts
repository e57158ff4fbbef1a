import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLanguageModel } from '../../src/agent/language-model.js';
import type { Config } from '../../src/config/config.js';

const openai = {
  apiKey: 'sk-test-key-123456',
  baseUrl: 'http://127.0.0.1:9/v1',
  model: 'scripted-model',
  apiMode: 'chat',
} as Config['openai'];

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'scripted-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
};

const chunk = (delta: object, finishReason: string | null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'scripted-model',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  })}\n\n`;

/** A model endpoint on port 0, answering either a completion or its stream. */
async function startModelServer() {
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    if (!(JSON.parse(body) as { stream?: boolean }).stream) {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(completion));
      return;
    }
    response.setHeader('content-type', 'text/event-stream');
    response.end(
      `${chunk({ role: 'assistant', content: 'Hello.' }, null)}${chunk({}, 'stop')}data: [DONE]\n\n`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

let modelServer: Awaited<ReturnType<typeof startModelServer>>;
beforeAll(async () => {
  modelServer = await startModelServer();
});
afterAll(() => modelServer.close());

/** The global fetch, noting when the provider hands it each request. */
const loggingFetch =
  (events: string[]) =>
  (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    events.push(
      (JSON.parse(String(init?.body)) as { stream?: boolean }).stream ? 'request (stream)' : 'request',
    );
    return fetch(url, init);
  };

describe('the language model', () => {
  it('offers each request’s wait, and what runs on the next turn of the event loop runs after the request went out', async () => {
    const events: string[] = [];
    const model = createLanguageModel({
      openai: { ...openai, baseUrl: modelServer.baseUrl },
      fetch: loggingFetch(events),
      whileAwaitingModel: () => setImmediate(() => events.push('work in the wait')),
    });

    const generated = await generateText({ model, prompt: 'Say hello.' });
    expect(generated.text).toBe('Hello.');
    const streamed = streamText({ model, prompt: 'Say hello.' });
    expect(await streamed.text).toBe('Hello.');

    expect(events).toEqual(['request', 'work in the wait', 'request (stream)', 'work in the wait']);
  });

  it('works the same with no work for the wait', async () => {
    const events: string[] = [];
    const model = createLanguageModel({
      openai: { ...openai, baseUrl: modelServer.baseUrl },
      fetch: loggingFetch(events),
    });
    expect((await generateText({ model, prompt: 'Say hello.' })).text).toBe('Hello.');
    expect(events).toEqual(['request']);
  });
});
