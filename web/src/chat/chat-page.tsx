import type { UIMessage } from 'ai';
import { useEffect, useState } from 'react';
import type { ApiClient } from '../api/api-client';
import { describeError } from '../api/api-error';
import type { Transcript } from '../api/types';
import { ChatSession } from './chat-session';
import { transcriptToMessages } from './transcript-messages';

export interface ChatTarget {
  /** Changes when the user starts a new chat or opens another conversation. */
  key: string;
  conversationId?: string;
  /** True when `conversationId` was opened (its messages are loaded), not learned from a new chat. */
  opened: boolean;
}

/** The chat: a new conversation, or an existing one loaded so that it can be continued. */
export function ChatPage(props: {
  api: ApiClient;
  target: ChatTarget;
  onConversationId(id: string): void;
  onConnect(): void;
  wpsConnected: boolean;
  onNewChat(): void;
}) {
  const { api, target } = props;
  const [loaded, setLoaded] = useState<{ key: string; messages: UIMessage[]; title: string | null } | null>(
    null,
  );
  const [loadError, setLoadError] = useState<string | null>(null);
  const needsTranscript = target.opened && target.conversationId !== undefined;

  useEffect(() => {
    if (!needsTranscript || !target.conversationId) return;
    let cancelled = false;
    setLoadError(null);
    api
      .request<Transcript>('GET', `/v1/conversations/${encodeURIComponent(target.conversationId)}`)
      .then((transcript) => {
        if (!cancelled)
          setLoaded({ key: target.key, messages: transcriptToMessages(transcript), title: transcript.title });
      })
      .catch((error: unknown) => {
        if (!cancelled) setLoadError(describeError(error));
      });
    return () => {
      cancelled = true;
    };
  }, [api, needsTranscript, target.conversationId, target.key]);

  // A new chat gets its title (from its first message) once the server names the conversation.
  const [newChatTitle, setNewChatTitle] = useState<{ conversationId: string; title: string | null } | null>(
    null,
  );
  useEffect(() => {
    const id = target.conversationId;
    if (needsTranscript || !id) return;
    let cancelled = false;
    api
      .request<Transcript>('GET', `/v1/conversations/${encodeURIComponent(id)}`)
      .then((transcript) => {
        if (!cancelled) setNewChatTitle({ conversationId: id, title: transcript.title });
      })
      // The heading is a nicety: a failed look-up leaves "New chat", and the chat itself says what failed.
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [api, needsTranscript, target.conversationId]);

  const ready = !needsTranscript || loaded?.key === target.key;
  const title = needsTranscript
    ? loaded?.key === target.key
      ? (loaded.title ?? 'Conversation')
      : 'New chat'
    : newChatTitle && newChatTitle.conversationId === target.conversationId
      ? (newChatTitle.title ?? 'Conversation')
      : 'New chat';
  return (
    <div className="chat-page">
      <div className="chat-toolbar">
        <h1 className="chat-title" data-testid="chat-title" title={title}>
          {title}
        </h1>
        <button type="button" className="small" data-testid="new-chat" onClick={props.onNewChat}>
          New chat
        </button>
      </div>
      {loadError ? (
        <p className="form-error" role="alert">
          {loadError}
        </p>
      ) : ready ? (
        <ChatSession
          key={target.key}
          api={api}
          chatId={target.key}
          conversationId={target.conversationId}
          initialMessages={needsTranscript ? loaded?.messages : undefined}
          onConversationId={props.onConversationId}
          onConnect={props.onConnect}
          wpsConnected={props.wpsConnected}
        />
      ) : (
        <p className="muted loading">Loading the conversation…</p>
      )}
    </div>
  );
}
