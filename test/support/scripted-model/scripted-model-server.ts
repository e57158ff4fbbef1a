import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildCompletion, errorJson, toResponseJson, toStreamChunks } from './chat-completion-wire.js';
import {
  parseBody,
  readBody,
  sendEventStream,
  sendJson,
  sendNamedEventStream,
  waitUnlessAborted,
} from './http-io.js';
import { toResponsesEvents, toResponsesJson } from './responses-wire.js';
import { createStepQueue, type NextStep } from './step-queue.js';
import type { RecordedRequest, ResolvedStep, ScriptedModel, ScriptedModelOptions } from './types.js';

export const SCRIPTED_MODEL_ID = 'scripted-model';

/**
 * The AI SDK retries 5xx answers with a 2 s then 4 s backoff; a missing or broken script is a test bug,
 * so its 500 asks for an immediate retry and the test fails in milliseconds rather than six seconds.
 */
const RETRY_NOW_HEADERS = { 'retry-after-ms': '0' };

/** The two OpenAI APIs answered from the same script, each in its own wire format. */
type ModelApi = 'chat-completions' | 'responses';

const API_PATHS = new Map<string, ModelApi>([
  ['/v1/chat/completions', 'chat-completions'],
  ['/v1/responses', 'responses'],
]);

/**
 * Starts an OpenAI-compatible server on `host:port` (a free port by default) that answers each
 * `/v1/chat/completions` or `/v1/responses` request with the next scripted step, streamed or not as the
 * request asks. No keys, no network: what CI runs.
 */
export async function createScriptedModel(options: ScriptedModelOptions = {}): Promise<ScriptedModel> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? { now: () => Date.now() };
  const steps = createStepQueue();
  const requests: RecordedRequest[] = [];
  let latencyMs = options.latencyMs ?? 0;
  let completionCount = 0;
  let toolCallCount = 0;
  // Requests not answered yet, so close() can mark them aborted before it resolves rather than after.
  const unanswered = new Map<RecordedRequest, AbortController>();
  const markAborted = (recorded: RecordedRequest) => {
    const abortController = unanswered.get(recorded);
    if (abortController === undefined) return;
    unanswered.delete(recorded);
    recorded.aborted = true;
    abortController.abort();
  };

  const answerModelRequest = async (
    api: ModelApi,
    recorded: RecordedRequest,
    response: ServerResponse,
    signal: AbortSignal,
  ) => {
    // Consumed on arrival, before the latency wait, so concurrent requests get steps in arrival order.
    const next = steps.next(recorded);
    if (!(await waitUnlessAborted(latencyMs, signal))) return;
    if (next.kind !== 'step') {
      sendJson(response, {
        status: 500,
        body: scriptFailureJson(next, recorded),
        headers: RETRY_NOW_HEADERS,
      });
      return;
    }
    answerStep(api, next.step, recorded, response);
  };

  const answerStep = (
    api: ModelApi,
    step: ResolvedStep,
    recorded: RecordedRequest,
    response: ServerResponse,
  ) => {
    if ('hang' in step) return; // Left open until the client aborts or close() destroys the socket.
    if ('raw' in step) {
      response.writeHead(step.raw.status ?? 200, { 'content-type': step.raw.contentType });
      response.end(step.raw.body);
      return;
    }
    if ('error' in step) {
      const { status, body, retryAfterMs } = step.error;
      sendJson(response, {
        status,
        body:
          body ?? errorJson({ message: `Scripted error ${status}`, type: errorTypeOf(status), code: status }),
        headers: retryAfterMs === undefined ? {} : { 'retry-after-ms': String(retryAfterMs) },
      });
      return;
    }
    completionCount += 1;
    const completion = buildCompletion({
      id: api === 'responses' ? `resp_scripted_${completionCount}` : `chatcmpl-scripted-${completionCount}`,
      createdMs: clock.now(),
      body: recorded.body,
      text: step.text,
      usage: step.usage,
      toolCalls: ('toolCalls' in step ? step.toolCalls : []).map((call) => ({
        ...call,
        id: call.id ?? `call_scripted_${++toolCallCount}`,
      })),
    });
    const stream = recorded.body.stream === true;
    if (api === 'responses') {
      if (stream) sendNamedEventStream(response, toResponsesEvents(completion));
      else sendJson(response, { status: 200, body: toResponsesJson(completion) });
      return;
    }
    if (stream) {
      const includeUsage = recorded.body.stream_options?.include_usage === true;
      sendEventStream(response, toStreamChunks(completion, { includeUsage }));
    } else {
      sendJson(response, { status: 200, body: toResponseJson(completion) });
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const rawBody = await readBody(request);
    const body = parseBody(rawBody);
    const recorded: RecordedRequest = {
      index: requests.length,
      method: request.method ?? 'GET',
      path,
      headers: request.headers,
      body: body ?? {},
      rawBody,
      aborted: false,
    };
    requests.push(recorded);

    const abortController = new AbortController();
    unanswered.set(recorded, abortController);
    response.once('finish', () => unanswered.delete(recorded));
    // 'close' without 'finish' first: the client went away (abort, timeout) before the answer was sent.
    response.once('close', () => markAborted(recorded));

    const api = API_PATHS.get(path);
    if (recorded.method === 'POST' && api !== undefined) {
      if (body === undefined) {
        const message = 'Request body is not a JSON object';
        sendJson(response, {
          status: 400,
          body: errorJson({ message, type: 'invalid_request_error', code: 'invalid_json' }),
        });
        return;
      }
      await answerModelRequest(api, recorded, response, abortController.signal);
      return;
    }
    if (recorded.method === 'GET' && path === '/v1/models') {
      sendJson(response, {
        status: 200,
        body: {
          object: 'list',
          data: [{ id: SCRIPTED_MODEL_ID, object: 'model', created: 0, owned_by: 'scripted' }],
        },
      });
      return;
    }
    sendJson(response, {
      status: 404,
      body: errorJson({
        message: `Scripted model: no route for ${recorded.method} ${path}`,
        type: 'invalid_request_error',
        code: 'not_found',
      }),
    });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A bug in this fixture: answer loudly rather than leave the client waiting.
      if (response.headersSent) {
        response.destroy(error instanceof Error ? error : undefined);
        return;
      }
      const message = `Scripted model failed: ${error instanceof Error ? error.message : String(error)}`;
      sendJson(response, {
        status: 500,
        body: errorJson({ message, type: 'server_error', code: 'internal' }),
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    baseUrl: `http://${urlHost(host)}:${port}/v1`,
    requests,
    script: (...newSteps) => steps.append(newSteps),
    setFallback: (step) => steps.setFallback(step),
    pending: () => steps.pending(),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const recorded of [...unanswered.keys()]) markAborted(recorded);
        server.close((error) => (error ? reject(error) : resolve()));
        // Hanging requests and keep-alive sockets would otherwise hold close() open indefinitely.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function scriptFailureJson(next: Exclude<NextStep, { kind: 'step' }>, recorded: RecordedRequest): object {
  const where = `request #${recorded.index} (${recorded.method} ${recorded.path})`;
  if (next.kind === 'exhausted') {
    return errorJson({
      message: `Scripted model: script exhausted: ${where} arrived with no step queued and no fallback; add one with script(...) or setFallback(...)`,
      type: 'server_error',
      code: 'script_exhausted',
    });
  }
  const reason = next.error instanceof Error ? next.error.message : String(next.error);
  return errorJson({
    message: `Scripted model: dynamic step threw for ${where}: ${reason}`,
    type: 'server_error',
    code: 'dynamic_step_failed',
  });
}

function errorTypeOf(status: number): string {
  if (status === 429) return 'rate_limit_error';
  if (status === 401) return 'authentication_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

// A wildcard listen address is reachable on loopback; an IPv6 literal needs brackets in a URL.
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
