import type { IncomingHttpHeaders } from 'node:http';

/** A text, image or file part of a message's content or a tool's output. */
type ContentPart = { type: string; text?: string; [key: string]: unknown };

/** A message as the OpenAI Chat Completions API receives it (only the fields the fixtures look at). */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  /** A string, `null` for an assistant turn that only calls tools, or parts (cache breakpoints, images). */
  content?: string | null | ContentPart[];
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
  [key: string]: unknown;
}

/** A tool definition as sent in a Chat Completions `body.tools`. */
export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
}

/** A tool definition as sent in a Responses API `body.tools`: the function's fields at the top level. */
export interface ResponsesTool {
  type: 'function';
  name: string;
  description?: string;
  parameters?: unknown;
  strict?: boolean;
}

/**
 * An item of a Responses API `body.input` (only the fields the fixtures look at): a message (`role`, with
 * or without `type: 'message'`), a `function_call` the model made, the client's `function_call_output`,
 * or an `item_reference` to an earlier output the server is expected to have stored.
 */
export interface ResponsesInputItem {
  type?: string;
  role?: 'system' | 'developer' | 'user' | 'assistant';
  content?: string | ContentPart[];
  id?: string;
  call_id?: string;
  name?: string;
  arguments?: string;
  output?: string | ContentPart[];
  [key: string]: unknown;
}

/**
 * The parsed JSON body of a request, to `/chat/completions` (`messages`) or `/responses` (`input`). Every
 * field is optional because the server records whatever the client sent, valid or not: tests assert on
 * it, the server does not validate it.
 */
export interface ChatRequestBody {
  model?: string;
  messages?: ChatMessage[];
  /** A string is shorthand for one user message. */
  input?: string | ResponsesInputItem[];
  tools?: Array<ChatTool | ResponsesTool>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
}

export interface RecordedRequest {
  /** Position in `ScriptedModel.requests`, from 0. */
  index: number;
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions` or `/v1/responses`. */
  path: string;
  /** Raw headers, `authorization` included, so tests can assert the key is sent (see `redactedHeaders`). */
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; `{}` when the body was empty or not JSON (see `rawBody`). */
  body: ChatRequestBody;
  rawBody: string;
  /** Set when the client went away (abort, timeout) or the server closed before an answer was sent. */
  aborted: boolean;
}

export interface ScriptedToolCall {
  name: string;
  /** An object is JSON-stringified on the wire; a string is sent verbatim (to test invalid JSON). */
  arguments: unknown;
  /** Defaults to a unique `call_scripted_<n>`. */
  id?: string;
}

/** One answer to one `/chat/completions` or `/responses` request, written in that API's shape. */
/**
 * Token counts to report for an answer instead of the default estimate (about 4 characters a token of
 * the prompt and of the answer): tests of usage accounting know exactly what to expect.
 */
export interface ScriptedUsage {
  inputTokens: number;
  outputTokens: number;
}

export type ScriptedStep =
  | { text: string; usage?: ScriptedUsage }
  | { toolCalls: ScriptedToolCall[]; text?: string; usage?: ScriptedUsage }
  | {
      error: {
        status: number;
        body?: unknown;
        /**
         * Sent as `retry-after-ms`; the AI SDK honours it instead of its 2 s exponential backoff, so
         * retry tests stay fast. Omitted by default, as a real server may omit it.
         */
        retryAfterMs?: number;
      };
    }
  | { hang: true }
  | {
      /**
       * Sent verbatim, whether or not the request asked for a stream: an HTML error page, `{}`, broken
       * JSON, or an event stream that stops before its finish chunk. What a misconfigured or broken
       * endpoint really answers.
       */
      raw: { status?: number; contentType: string; body: string };
    }
  | ((request: RecordedRequest) => ScriptedStep);

/** A step after dynamic steps have been called. */
export type ResolvedStep = Exclude<ScriptedStep, (request: RecordedRequest) => ScriptedStep>;

export interface ScriptedModelOptions {
  /** Delay before every answer; abortable by the client. Default 0. */
  latencyMs?: number;
  /** Default 0: a free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Source of `created` timestamps; injectable so recorded responses can be deterministic. */
  clock?: { now(): number };
}

export interface ScriptedModel {
  /** E.g. `http://127.0.0.1:PORT/v1`: what `OPENAI_BASE_URL` or the provider's `baseURL` would be. */
  baseUrl: string;
  /** Stops the server, destroying open sockets so hanging requests do not hold it open. */
  close(): Promise<void>;
  /** Appends steps to the queue; each `/chat/completions` or `/responses` request consumes one. */
  script(...steps: ScriptedStep[]): void;
  /** Answers requests when the queue is empty; without it they get a 500 `script_exhausted` error. */
  setFallback(step: ScriptedStep | undefined): void;
  /** Every request received (any path), in arrival order, recorded before it is answered. */
  requests: RecordedRequest[];
  /** Steps queued and not yet consumed. */
  pending(): number;
  setLatency(ms: number): void;
}
