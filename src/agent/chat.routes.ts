import { createUIMessageStream, pipeUIMessageStreamToResponse } from 'ai';
import { Router } from 'express';
import { z } from 'zod';
import { currentUser } from '../http/api-key-auth.js';
import { parseInput } from '../http/validation.js';
import { CHAT_MESSAGE_MAX_CHARS } from './chat-message-limit.js';
import { type ChatDependencies, type StartedTurn, startChatTurn } from './chat-turn.js';

const chatBodySchema = z
  .object({
    message: z
      .string()
      .trim()
      .min(1, 'message must not be empty')
      .max(
        CHAT_MESSAGE_MAX_CHARS,
        `message is too long (${CHAT_MESSAGE_MAX_CHARS.toLocaleString('en-US')} characters at most)`,
      )
      // PostgreSQL's text cannot hold U+0000: refused on every database alike, before anything is stored.
      .refine((text) => !text.includes('\u0000'), 'message must not contain NUL characters (U+0000)')
      .optional(),
    conversationId: z.string().min(1).optional(),
    /** Runs the conversation's last, failed or stopped, user message again instead of a new one. */
    retry: z.boolean().optional(),
  })
  .refine((body) => body.retry === true || body.message !== undefined, {
    path: ['message'],
    message: 'message is required',
  })
  .refine(
    (body) => body.retry !== true || (body.conversationId !== undefined && body.message === undefined),
    {
      path: ['retry'],
      message: 'retry needs a conversationId and no message: it resends the last one',
    },
  );

/** The answers to a paused turn's approvals; they continue that turn. */
const approvalsBodySchema = z.object({
  conversationId: z.string().min(1),
  approvals: z
    .array(
      z.object({
        id: z.string().min(1),
        approved: z.boolean(),
        reason: z
          .string()
          .trim()
          .max(2000)
          .refine((text) => !text.includes('\u0000'), 'reason must not contain NUL characters (U+0000)')
          .optional(),
      }),
    )
    .min(1, 'approvals must not be empty')
    .max(100),
});

/**
 * `POST /v1/chat`: JSON by default; with `Accept: text/event-stream`, the AI SDK UI message stream that
 * `useChat` and `readUIMessageStream` read, with the conversation id in `X-Conversation-Id`.
 */
export function createChatRoutes(dependencies: ChatDependencies) {
  const router = Router();
  router.post('/chat', async (request, response) => {
    const user = currentUser(request);
    const raw: unknown = request.body ?? {};
    const answers =
      typeof raw === 'object' && raw !== null && 'approvals' in raw
        ? parseInput(approvalsBodySchema, raw, 'chat request')
        : undefined;
    const body = answers ? undefined : parseInput(chatBodySchema, raw, 'chat request');
    // A client that goes away aborts the turn: the model request and any tool call in flight.
    const abort = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) abort.abort();
    });
    const stream = (request.get('accept') ?? '').includes('text/event-stream');
    const turn = await startChatTurn(dependencies, {
      user,
      ...(answers
        ? { approvals: answers.approvals, conversationId: answers.conversationId }
        : { message: body?.message, conversationId: body?.conversationId, retry: body?.retry }),
      abortSignal: abort.signal,
      stream,
    });
    if (turn.result) {
      streamTurn(turn, turn.result, response);
      return;
    }
    if (stream) {
      // An answer that leaves other approvals pending: nothing ran, the stream just ends.
      pipeUIMessageStreamToResponse({
        response,
        stream: createUIMessageStream({ execute: ({ writer }) => writer.write({ type: 'finish' }) }),
        headers: { 'X-Conversation-Id': turn.conversationId },
      });
      return;
    }
    const outcome = await turn.outcome;
    if (outcome.status === 'error') throw outcome.error;
    if (outcome.status === 'aborted') return;
    response.json({
      conversationId: turn.conversationId,
      messageId: turn.messageId,
      status: outcome.status === 'awaiting-approval' ? 'awaiting_approval' : 'complete',
      text: turn.text(),
      toolCalls: turn.toolCalls.map(
        ({ id, name, server, safeName, arguments: toolArguments, result, isError, status, durationMs }) => ({
          id,
          name,
          server,
          safeName,
          arguments: toolArguments,
          result,
          isError,
          status,
          durationMs,
        }),
      ),
      approvals: outcome.status === 'awaiting-approval' ? outcome.approvals : [],
      ...(outcome.status === 'authorization-lost'
        ? {
            wps: {
              status: 'reauthorization_required',
              ...(outcome.authorizeUrl ? { authorizeUrl: outcome.authorizeUrl } : {}),
            },
          }
        : {}),
    });
  });
  return router;
}

function streamTurn(
  turn: StartedTurn,
  result: NonNullable<StartedTurn['result']>,
  response: Parameters<typeof pipeUIMessageStreamToResponse>[0]['response'],
) {
  const stream = createUIMessageStream({
    onError: turn.describeError,
    execute: async ({ writer }) => {
      const parts = result.toUIMessageStream({
        sendFinish: false,
        generateMessageId: () => turn.messageId,
        onError: turn.describeError,
      });
      let errorShown = false;
      for await (const part of parts) {
        errorShown ||= part.type === 'error';
        writer.write(part);
      }
      const outcome = await turn.outcome;
      // A turn stopped by its time limit ends as an abort in the model's stream: say why.
      if (outcome.status === 'error' && !errorShown)
        writer.write({ type: 'error', errorText: outcome.error.message });
      if (outcome.status === 'authorization-lost') {
        const id = `${turn.messageId}-reconnect`;
        writer.write({ type: 'text-start', id });
        writer.write({ type: 'text-delta', id, delta: outcome.notice });
        writer.write({ type: 'text-end', id });
      }
      // The SDK's tool-approval-request parts carry no preview: the console reads it from this data part.
      if (outcome.status === 'awaiting-approval')
        writer.write({ type: 'data-approvals', data: outcome.approvals });
      if (outcome.status !== 'aborted') writer.write({ type: 'finish' });
    },
  });
  pipeUIMessageStreamToResponse({ response, stream, headers: { 'X-Conversation-Id': turn.conversationId } });
}
