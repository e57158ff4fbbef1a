import { useChat } from '@ai-sdk/react';
import { lastAssistantMessageIsCompleteWithApprovalResponses, type UIMessage } from 'ai';
import { type FormEvent, type KeyboardEvent, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { ApiClient } from '../api/api-client';
import { ApiError } from '../api/api-error';
import { createChatTransport } from './chat-transport';
import { MessageBubble, type Timing } from './message-bubble';
import { messageLimitNotice } from './message-limit';
import { useModelNotice } from './model-notice';
import { wasStopped } from './transcript-messages';

const SUGGESTIONS = ['What documents do I have about Q3?', '总结一下最近修改的文档'];

export interface ChatSessionProps {
  api: ApiClient;
  /** useChat's id: a new one starts a new chat. */
  chatId: string;
  conversationId?: string;
  initialMessages?: UIMessage[];
  onConversationId(id: string): void;
  /** Opens WPS consent (a fresh authorization, so this browser holds its binding). */
  onConnect(): void;
  /** True once WPS is connected: a "Connect your WPS account" card then goes away by itself. */
  wpsConnected: boolean;
}

/** One conversation with the agent: the streamed messages with their tool cards, and the composer. */
export function ChatSession({
  api,
  chatId,
  conversationId,
  initialMessages,
  onConversationId,
  onConnect,
  wpsConnected,
}: ChatSessionProps) {
  const conversationRef = useRef(conversationId);
  const onConversationIdRef = useRef(onConversationId);
  onConversationIdRef.current = onConversationId;
  const transport = useMemo(
    () =>
      createChatTransport({
        api,
        conversationId: () => conversationRef.current,
        onConversationId: (id) => {
          if (conversationRef.current === id) return;
          conversationRef.current = id;
          onConversationIdRef.current(id);
        },
      }),
    [api],
  );
  const { messages, sendMessage, status, stop, error, clearError, regenerate, addToolApprovalResponse } =
    useChat({
      id: chatId,
      messages: initialMessages,
      transport,
      experimental_throttle: 40,
      // A paused turn continues once every write it waits on is approved or denied.
      sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
    });
  const [draft, setDraft] = useState('');
  // Said only after a send was tried, so typing past the limit is not nagged at every keystroke.
  const [limitNotice, setLimitNotice] = useState<string | undefined>();
  const inputId = useId();
  const busy = status === 'submitted' || status === 'streaming';
  // Messages after which the user pressed Stop in this session (reopened ones carry it as metadata).
  const [stoppedIds, setStoppedIds] = useState<ReadonlySet<string>>(new Set());
  const modelNotice = useModelNotice(api);

  function stopTurn() {
    const last = messages.at(-1);
    if (last) setStoppedIds((ids) => new Set(ids).add(last.id));
    void stop();
  }

  // When each tool call was first seen and when its result arrived: the live duration on its card.
  const timings = useRef(new Map<string, Timing>());
  const now = Date.now();
  for (const message of messages) {
    for (const part of message.parts) {
      if (part.type !== 'dynamic-tool') continue;
      let timing = timings.current.get(part.toolCallId);
      if (!timing) {
        // Calls loaded from a transcript carry their recorded duration instead.
        timing = { startedAt: now };
        timings.current.set(part.toolCallId, timing);
        if (part.state === 'output-available' || part.state === 'output-error') continue;
      }
      if (
        timing.finishedAt === undefined &&
        (part.state === 'output-available' || part.state === 'output-error')
      ) {
        timing.finishedAt = now;
      }
    }
  }

  const scrollRef = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll whenever the messages change.
  useEffect(() => {
    const element = scrollRef.current;
    if (element && stickToBottom.current) element.scrollTop = element.scrollHeight;
  }, [messages, status]);

  function send(text: string) {
    const message = text.trim();
    if (!message || busy) return;
    const overLimit = messageLimitNotice(message);
    setLimitNotice(overLimit);
    if (overLimit) return;
    clearError();
    stickToBottom.current = true;
    void sendMessage({ text: message });
    setDraft('');
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    send(draft);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    // Enter sends, Shift+Enter is a new line; Enter that confirms an IME composition (Chinese) does neither.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send(draft);
    }
  }

  const authorizationRequired = error instanceof ApiError && error.code === 'wps_authorization_required';
  useEffect(() => {
    if (authorizationRequired && wpsConnected) clearError();
  }, [authorizationRequired, wpsConnected, clearError]);
  const lastMessage = messages.at(-1);
  const waitingForFirstPart = busy && (lastMessage?.role !== 'assistant' || lastMessage.parts.length === 0);

  return (
    <section className="chat" aria-label="Chat">
      <div
        className="messages"
        ref={scrollRef}
        data-testid="messages"
        onScroll={(event) => {
          const element = event.currentTarget;
          stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 80;
        }}
      >
        {messages.length === 0 && modelNotice && (
          <div className="chat-error" role="alert" data-testid="model-notice">
            <p>{modelNotice}</p>
          </div>
        )}
        {messages.length === 0 && (
          <div className="empty-chat">
            <h2>Ask about your WPS documents</h2>
            <p className="muted">
              The assistant searches, reads and edits them with your WPS account. 中文也可以。
            </p>
            <div className="suggestions">
              {SUGGESTIONS.map((suggestion) => (
                <button
                  key={suggestion}
                  type="button"
                  className="suggestion"
                  onClick={() => setDraft(suggestion)}
                >
                  {suggestion}
                </button>
              ))}
            </div>
          </div>
        )}
        {messages.map((message) => (
          <MessageBubble
            key={message.id}
            message={message}
            timings={timings.current}
            api={api}
            onAnswer={(id, approved, reason) => {
              stickToBottom.current = true;
              void addToolApprovalResponse({ id, approved, reason });
            }}
            stopped={
              !(busy && message === lastMessage) && (stoppedIds.has(message.id) || wasStopped(message))
            }
          />
        ))}
        {waitingForFirstPart && (
          <div className="thinking muted" data-testid="chat-thinking" aria-live="polite">
            Thinking…
          </div>
        )}
        {error && (
          <div
            className="chat-error"
            role="alert"
            data-testid="chat-error"
            data-code={error instanceof ApiError ? error.code : undefined}
          >
            <p>
              {authorizationRequired
                ? 'Connect your WPS account to let the assistant use your documents.'
                : error.message}
            </p>
            <div className="row">
              {authorizationRequired && (
                <button
                  type="button"
                  className="primary small"
                  data-testid="chat-connect"
                  onClick={() => onConnect()}
                >
                  Connect WPS
                </button>
              )}
              <button
                type="button"
                className="small"
                data-testid="chat-retry"
                onClick={() => void regenerate()}
              >
                Try again
              </button>
              <button type="button" className="small" onClick={() => clearError()}>
                Dismiss
              </button>
            </div>
          </div>
        )}
      </div>
      <form className="composer" onSubmit={onSubmit}>
        <label htmlFor={inputId} className="visually-hidden">
          Message
        </label>
        <textarea
          id={inputId}
          data-testid="chat-input"
          rows={2}
          placeholder="Message the assistant (Enter to send, Shift+Enter for a new line)"
          value={draft}
          onChange={(event) => {
            setDraft(event.target.value);
            if (limitNotice) setLimitNotice(messageLimitNotice(event.target.value));
          }}
          onKeyDown={onKeyDown}
        />
        {busy ? (
          <button type="button" className="stop" data-testid="chat-stop" onClick={stopTurn}>
            Stop
          </button>
        ) : (
          <button type="submit" className="primary" data-testid="chat-send" disabled={!draft.trim()}>
            Send
          </button>
        )}
      </form>
      {limitNotice && (
        <p className="form-error composer-limit" role="alert" data-testid="chat-limit">
          {limitNotice}
        </p>
      )}
      <p
        className="chat-status visually-hidden"
        data-testid="chat-status"
        data-status={status}
        aria-live="polite"
      >
        {busy ? 'The assistant is answering' : 'Ready'}
      </p>
    </section>
  );
}
