import type { IncomingHttpHeaders } from 'node:http';

/** A message as the OpenAI Chat Completions API receives it (only the fields the fixtures look at). */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  /** A string, `null` for an assistant turn that only calls tools, or parts (cache breakpoints, images). */
  content?: string | null | Array<{ type: string; text?: string; [key: string]: unknown }>;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
  [key: string]: unknown;
}

/** A tool definition as sent in `body.tools`. */
export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
}

/**
 * The parsed JSON body of a request. Every field is optional because the server records whatever the
 * client sent, valid or not: tests assert on it, the server does not validate it.
 */
export interface ChatRequestBody {
  model?: string;
  messages?: ChatMessage[];
  tools?: ChatTool[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
}

export interface RecordedRequest {
  /** Position in `ScriptedModel.requests`, from 0. */
  index: number;
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
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

/** One answer to one `/chat/completions` request. */
export type ScriptedStep =
  | { text: string }
  | { toolCalls: ScriptedToolCall[]; text?: string }
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
  /** Appends steps to the queue; each `/chat/completions` request consumes one. */
  script(...steps: ScriptedStep[]): void;
  /** Answers requests when the queue is empty; without it they get a 500 `script_exhausted` error. */
  setFallback(step: ScriptedStep | undefined): void;
  /** Every request received (any path), in arrival order, recorded before it is answered. */
  requests: RecordedRequest[];
  /** Steps queued and not yet consumed. */
  pending(): number;
  setLatency(ms: number): void;
}
