import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatRequestBody } from './types.js';

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `undefined` when the text is not a JSON object, so the caller can answer 400 instead of guessing. */
export function parseBody(rawBody: string): ChatRequestBody | undefined {
  if (rawBody.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(rawBody);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as ChatRequestBody)
      : undefined;
  } catch {
    // Not JSON: reported to the client as a 400 by the caller, and kept in `rawBody`.
    return undefined;
  }
}

export function sendJson(
  response: ServerResponse,
  options: { status: number; body: unknown; headers?: OutgoingHttpHeaders },
): void {
  const text = JSON.stringify(options.body);
  response.writeHead(options.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...options.headers,
  });
  response.end(text);
}

/** Server-sent events as Chat Completions writes them: one `data:` line per chunk, then `data: [DONE]`. */
export function sendEventStream(response: ServerResponse, chunks: object[]): void {
  writeEventStreamHead(response);
  for (const chunk of chunks) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  response.end('data: [DONE]\n\n');
}

/**
 * Server-sent events as the Responses API writes them: each event named by its `type` in an `event:` line
 * before its `data:` line, and no `[DONE]`: the stream ends after `response.completed`.
 */
export function sendNamedEventStream(response: ServerResponse, events: Array<{ type: string }>): void {
  writeEventStreamHead(response);
  for (const event of events) response.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  response.end();
}

function writeEventStreamHead(response: ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
}

/** Resolves `false` instead of throwing when aborted, so callers can simply stop. */
export async function waitUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch (error: unknown) {
    if (signal.aborted) return false;
    throw error;
  }
}
