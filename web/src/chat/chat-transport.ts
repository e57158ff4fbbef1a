import { DefaultChatTransport, type UIMessage } from 'ai';
import type { ApiClient } from '../api/api-client';
import { apiErrorFrom } from '../api/api-error';

/** The text of a UI message's text parts. */
export function textOf(message: UIMessage): string {
  return message.parts
    .filter((part) => part.type === 'text')
    .map((part) => part.text)
    .join('');
}

/** The approval answers (useChat's `approval-responded` tool parts) of an assistant message. */
export function approvalAnswers(message: UIMessage | undefined) {
  if (message?.role !== 'assistant') return [];
  return message.parts.flatMap((part) =>
    part.type === 'dynamic-tool' && part.state === 'approval-responded'
      ? [
          {
            id: part.approval.id,
            approved: part.approval.approved,
            ...(part.approval.reason ? { reason: part.approval.reason } : {}),
          },
        ]
      : [],
  );
}

/**
 * `useChat`'s transport for `POST /v1/chat`. The server keeps the conversation, so each turn sends only
 * the new user message and the conversation id (not useChat's whole-history body); the id comes back in
 * `X-Conversation-Id` on the first turn. Errors before the stream starts are the API's JSON errors and
 * are thrown as ApiError, so the chat can offer Connect on `wps_authorization_required`. "Try again"
 * (useChat's regenerate) of a turn the server stored sends `{"conversationId","retry":true}`.
 */
export function createChatTransport(options: {
  api: ApiClient;
  conversationId: () => string | undefined;
  onConversationId(id: string): void;
}) {
  let lastTurnStored = false;
  return new DefaultChatTransport<UIMessage>({
    api: '/v1/chat',
    headers: { accept: 'text/event-stream' },
    prepareSendMessagesRequest({ messages, headers, trigger }) {
      const last = messages.findLast((message) => message.role === 'user');
      const conversationId = options.conversationId();
      // "Try again" of a turn the server stored (it failed or was cut off mid-stream) retries it there,
      // so the message is not stored twice; a request that was refused stored nothing and is sent anew.
      if (trigger === 'regenerate-message' && lastTurnStored && conversationId) {
        return { headers, body: { conversationId, retry: true } };
      }
      // Answers to a paused turn: useChat sends once every approval of its last message is answered.
      const answers = approvalAnswers(messages.at(-1));
      if (conversationId && answers.length > 0)
        return { headers, body: { conversationId, approvals: answers } };
      return {
        headers,
        body: { message: last ? textOf(last) : '', ...(conversationId ? { conversationId } : {}) },
      };
    },
    fetch: async (input, init) => {
      lastTurnStored = false;
      const response = await options.api.fetch(input, init);
      // A refused request (409, 400, 502 before the stream) stored nothing; a started stream did.
      lastTurnStored = response.ok;
      const conversationId = response.headers.get('x-conversation-id');
      if (conversationId) options.onConversationId(conversationId);
      if (!response.ok) throw await apiErrorFrom(response);
      return response;
    },
  });
}
