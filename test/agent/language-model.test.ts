import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLanguageModel } from '../../src/agent/language-model.js';
import type { Config } from '../../src/config/config.js';
import {
  createScriptedModel,
  SCRIPTED_MODEL_ID,
  type ScriptedModel,
} from '../support/scripted-model/index.js';

let model: ScriptedModel;
beforeAll(async () => {
  model = await createScriptedModel();
  model.setFallback({ text: 'Hello.' });
});
afterAll(() => model.close());

const openai = (): Config['openai'] =>
  ({
    apiKey: 'sk-test-key-123456',
    baseUrl: model.baseUrl,
    model: SCRIPTED_MODEL_ID,
    apiMode: 'chat',
  }) as Config['openai'];

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
    const languageModel = createLanguageModel({
      openai: openai(),
      fetch: loggingFetch(events),
      whileAwaitingModel: () => setImmediate(() => events.push('work in the wait')),
    });

    const generated = await generateText({ model: languageModel, prompt: 'Say hello.' });
    expect(generated.text).toBe('Hello.');
    const streamed = streamText({ model: languageModel, prompt: 'Say hello.' });
    expect(await streamed.text).toBe('Hello.');

    expect(events).toEqual(['request', 'work in the wait', 'request (stream)', 'work in the wait']);
  });

  it('works the same with no work for the wait', async () => {
    const events: string[] = [];
    const languageModel = createLanguageModel({ openai: openai(), fetch: loggingFetch(events) });
    expect((await generateText({ model: languageModel, prompt: 'Say hello.' })).text).toBe('Hello.');
    expect(events).toEqual(['request']);
  });
});
