import { createOpenAI } from '@ai-sdk/openai';
import {
  APICallError,
  dynamicTool,
  generateText,
  jsonSchema,
  RetryError,
  stepCountIs,
  streamText,
  tool,
} from 'ai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  bearerTokenOf,
  createScriptedModel,
  findTool,
  lastToolResults,
  redactedHeaders,
  type ScriptedModel,
  toolNamesOf,
} from './scripted-model/index.js';

describe('scripted model server, driven by the real @ai-sdk/openai chat provider', () => {
  let model: ScriptedModel;
  let chatModel: ReturnType<ReturnType<typeof createOpenAI>['chat']>;

  beforeEach(async () => {
    model = await createScriptedModel();
    chatModel = createOpenAI({ baseURL: model.baseUrl, apiKey: 'test-key' }).chat('scripted-model');
  });

  afterEach(async () => {
    await model.close();
  });

  const searchTool = (calls: unknown[]) =>
    tool({
      description: 'Search the user’s files',
      inputSchema: jsonSchema<{ query: string; limit: number }>({
        type: 'object',
        properties: { query: { type: 'string' }, limit: { type: 'number' } },
        required: ['query', 'limit'],
        additionalProperties: false,
      }),
      execute: async (input) => {
        calls.push(input);
        return { hits: [`${input.query}.docx`] };
      },
    });

  it('answers a generateText call with the scripted text and records the request and its key', async () => {
    model.script({ text: 'Hello from the script' });

    const result = await generateText({ model: chatModel, prompt: 'Say hello' });

    expect(result.text).toBe('Hello from the script');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(model.requests).toHaveLength(1);
    const [request] = model.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.body.stream).toBeUndefined();
    expect(request?.body.messages).toEqual([{ role: 'user', content: 'Say hello' }]);
    expect(bearerTokenOf(request!)).toBe('test-key');
    expect(redactedHeaders(request!).authorization).toBe('Bearer ***');
    expect(model.pending()).toBe(0);
  });

  it('streams the scripted text to streamText in several deltas', async () => {
    model.script({ text: 'Streaming works in small pieces' });

    const result = streamText({ model: chatModel, prompt: 'Stream something' });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);

    expect(deltas.join('')).toBe('Streaming works in small pieces');
    expect(deltas.filter((delta) => delta !== '').length).toBeGreaterThan(1);
    expect(await result.finishReason).toBe('stop');
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
    expect(model.requests[0]?.body.stream).toBe(true);
  });

  it('runs a two-step tool loop: arguments split across deltas, the tool executes, then text', async () => {
    model.script(
      {
        toolCalls: [
          { id: 'call_search', name: 'search_files', arguments: { query: 'quarterly report', limit: 3 } },
        ],
      },
      { text: 'Found quarterly report.docx' },
    );
    const executed: unknown[] = [];

    const result = streamText({
      model: chatModel,
      prompt: 'Find the quarterly report',
      tools: { search_files: searchTool(executed) },
      stopWhen: stepCountIs(5),
    });
    let argumentDeltas = 0;
    for await (const part of result.fullStream) {
      if (part.type === 'tool-input-delta') argumentDeltas += 1;
    }

    expect(argumentDeltas).toBeGreaterThan(1);
    expect(executed).toEqual([{ query: 'quarterly report', limit: 3 }]);
    expect(await result.text).toBe('Found quarterly report.docx');
    const steps = await result.steps;
    expect(steps.map((step) => step.finishReason)).toEqual(['tool-calls', 'stop']);

    const second = model.requests[1]!;
    expect(toolNamesOf(second)).toEqual(['search_files']);
    expect(second.body.messages?.at(-2)).toMatchObject({
      role: 'assistant',
      tool_calls: [{ id: 'call_search', type: 'function', function: { name: 'search_files' } }],
    });
    expect(lastToolResults(second)).toEqual([
      { tool_call_id: 'call_search', content: JSON.stringify({ hits: ['quarterly report.docx'] }) },
    ]);
  });

  it('answers a dynamic step from what the model was sent: tool names offered and tool results', async () => {
    model.script(
      (request) => {
        const search = findTool(request, (candidate) => candidate.name.endsWith('_search'));
        if (search === undefined) throw new Error(`no search tool among ${toolNamesOf(request).join(', ')}`);
        return { toolCalls: [{ name: search.function.name, arguments: { query: 'budget' } }] };
      },
      (request) => {
        const [result] = lastToolResults(request);
        const { fileId } = JSON.parse(result?.content ?? '{}') as { fileId?: string };
        return { text: `Opened ${fileId}` };
      },
    );
    const executed: unknown[] = [];
    const driveSearch = dynamicTool({
      description: 'Search the drive',
      inputSchema: jsonSchema({ type: 'object', properties: { query: { type: 'string' } } }),
      execute: async (input) => {
        executed.push(input);
        return { fileId: 'file-42' };
      },
    });

    const result = await generateText({
      model: chatModel,
      prompt: 'Open the budget',
      tools: { drive_search: driveSearch },
      stopWhen: stepCountIs(5),
    });

    expect(executed).toEqual([{ query: 'budget' }]);
    expect(result.text).toBe('Opened file-42');
    expect(result.steps).toHaveLength(2);
  });

  it('lets the AI SDK retry a scripted 500 and succeed', async () => {
    model.script({ error: { status: 500, retryAfterMs: 0 } }, { text: 'recovered' });

    const result = await generateText({ model: chatModel, prompt: 'Try again' });

    expect(result.text).toBe('recovered');
    expect(model.requests).toHaveLength(2);
  });

  it('surfaces a 429 as an APICallError when no retries are left', async () => {
    model.script({
      error: { status: 429, body: { error: { message: 'Slow down', type: 'rate_limit_error' } } },
    });

    const error = await generateText({ model: chatModel, prompt: 'Too fast', maxRetries: 0 }).catch(
      (caught: unknown) => caught,
    );

    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as APICallError).statusCode).toBe(429);
    expect((error as APICallError).message).toBe('Slow down');
  });

  it('records a hanging request as aborted when the client aborts', async () => {
    model.script({ hang: true });
    const abortController = new AbortController();

    const outcome = generateText({
      model: chatModel,
      prompt: 'Never answered',
      abortSignal: abortController.signal,
    }).catch((caught: unknown) => caught);
    await vi.waitFor(() => expect(model.requests).toHaveLength(1));
    abortController.abort();

    expect(await outcome).toBeInstanceOf(Error);
    await vi.waitFor(() => expect(model.requests[0]?.aborted).toBe(true));
  });

  it('closes promptly while a request hangs', async () => {
    model.script({ hang: true });
    const hanging = fetch(`${model.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'scripted-model', messages: [] }),
    }).catch((caught: unknown) => caught);
    await vi.waitFor(() => expect(model.requests).toHaveLength(1));

    const started = performance.now();
    await model.close();

    expect(performance.now() - started).toBeLessThan(1000);
    expect(await hanging).toBeInstanceOf(Error);
    expect(model.requests[0]?.aborted).toBe(true);
  });

  it('fails loudly with a script-exhausted error when no step is left', async () => {
    const error = await generateText({ model: chatModel, prompt: 'Nobody scripted me' }).catch(
      (caught: unknown) => caught,
    );

    // The default two retries are immediate (retry-after-ms: 0), and each is exhausted too.
    expect(RetryError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/script exhausted: request #2/);
    expect(model.requests).toHaveLength(3);
  });

  it('answers from the fallback whenever the queue is empty', async () => {
    model.script({ text: 'scripted' });
    model.setFallback({ text: 'fallback' });

    const texts: string[] = [];
    for (const prompt of ['one', 'two', 'three']) {
      texts.push((await generateText({ model: chatModel, prompt })).text);
    }

    expect(texts).toEqual(['scripted', 'fallback', 'fallback']);
  });

  it('waits the configured latency before answering', async () => {
    model.setLatency(150);
    model.script({ text: 'late' });

    const started = performance.now();
    await generateText({ model: chatModel, prompt: 'Take your time' });

    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});

// Just the parts of OpenAI's wire format these tests read.
interface WireToolCall {
  index?: number;
  id?: string;
  type?: string;
  function: { name?: string; arguments: string };
}
interface WireChunk {
  object: string;
  choices: Array<{
    delta: { role?: string; content?: string | null; tool_calls?: WireToolCall[] };
    finish_reason: string | null;
  }>;
  usage?: { total_tokens: number };
}
interface WireCompletion {
  object: string;
  choices: Array<{ message: { content: string | null; tool_calls: WireToolCall[] }; finish_reason: string }>;
}
interface WireError {
  error: { message: string; type: string; code: string | number };
}

describe('scripted model server, on the wire', () => {
  let model: ScriptedModel;

  beforeEach(async () => {
    model = await createScriptedModel();
  });

  afterEach(async () => {
    await model.close();
  });

  const postChat = (body: object) =>
    fetch(`${model.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('streams chunks as OpenAI does: role first, tool call header, argument pieces, finish, usage, [DONE]', async () => {
    model.script({ toolCalls: [{ id: 'call_1', name: 'read', arguments: { path: '/a/long/enough/path' } }] });

    const response = await postChat({
      model: 'm',
      messages: [],
      stream: true,
      stream_options: { include_usage: true },
    });
    const events = (await response.text()).split('\n\n').filter((event) => event !== '');

    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.slice('data: '.length)) as WireChunk);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks[1]?.choices[0]?.delta.tool_calls).toEqual([
      { index: 0, id: 'call_1', type: 'function', function: { name: 'read', arguments: '' } },
    ]);
    const argumentPieces = chunks
      .flatMap((chunk) => chunk.choices.flatMap((choice) => choice.delta.tool_calls ?? []))
      .slice(1)
      .map((call) => call.function.arguments);
    expect(argumentPieces.length).toBeGreaterThan(2);
    expect(argumentPieces.join('')).toBe(JSON.stringify({ path: '/a/long/enough/path' }));
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
  });

  it('sends a raw string of arguments verbatim, so invalid JSON can be tested', async () => {
    model.script({ toolCalls: [{ name: 'read', arguments: '{"path": ' }] });

    const completion = (await (await postChat({ model: 'm', messages: [] })).json()) as WireCompletion;

    expect(completion.object).toBe('chat.completion');
    const [choice] = completion.choices;
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls[0]?.function.arguments).toBe('{"path": ');
    expect(choice?.message.tool_calls[0]?.id).toMatch(/^call_scripted_\d+$/);
  });

  it('serves the model list, 404s unknown paths and reports an exhausted script in OpenAI error form', async () => {
    const models: unknown = await (await fetch(`${model.baseUrl}/models`)).json();
    expect(models).toMatchObject({ object: 'list', data: [{ id: 'scripted-model', object: 'model' }] });

    const missing = await fetch(`${model.baseUrl}/embeddings`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as WireError).error.code).toBe('not_found');

    const exhausted = await postChat({ model: 'm', messages: [] });
    expect(exhausted.status).toBe(500);
    expect(((await exhausted.json()) as WireError).error).toMatchObject({
      code: 'script_exhausted',
      type: 'server_error',
    });
    expect(model.requests.map((request) => request.path)).toEqual([
      '/v1/models',
      '/v1/embeddings',
      '/v1/chat/completions',
    ]);
  });
});
